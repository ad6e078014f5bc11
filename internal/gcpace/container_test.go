package gcpace

import (
	"testing"
	"testing/fstest"
)

// A container's limit is found under cgroup v2 and v1 alike; no limit, or none written, is 0.
func TestContainerLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2", map[string]string{"memory.max": "1073741824\n"}, 1 << 30},
		{"v2 without a limit", map[string]string{"memory.max": "max\n"}, 0},
		{"v1", map[string]string{"memory/memory.limit_in_bytes": "1073741824\n"}, 1 << 30},
		{"v1 without a limit", map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{"v2 before v1", map[string]string{"memory.max": "536870912", "memory/memory.limit_in_bytes": "1073741824"}, 512 << 20},
		{"neither", map[string]string{"cpu.max": "100000 100000"}, 0},
		{"unreadable", map[string]string{"memory.max": "lots"}, 0},
	} {
		fsys := fstest.MapFS{}
		for name, data := range tc.files {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
		}
		if got := ContainerLimit(fsys); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
