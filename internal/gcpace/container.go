package gcpace

import (
	"io/fs"
	"strconv"
	"strings"
)

// ContainerLimit is the memory limit of the container a run is in, read from its cgroup
// file system (fsys, /sys/fs/cgroup): cgroup v2's memory.max, or cgroup v1's
// memory/memory.limit_in_bytes, which nodes on older kernels and images still mount. 0 when
// there is none: no such file, "max", or v1's page-rounded largest value.
func ContainerLimit(fsys fs.FS) int64 {
	for _, name := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0 // "max", or v1's way of saying none
		}
		return n
	}
	return 0
}
