package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// writingBack is an output file that has what it was given written to disk as it goes: the
// kernel is told to start writing every few mebibytes, and every few tens the file is synced
// on a goroutine of its own, beside the encoding. The sync that ends the output (finish)
// then waits for the last stretch only. A report of hundreds of megabytes otherwise waited,
// after its encoding, on a core that had nothing else to do, for the disk to take all of it:
// on this project's machine, whose virtual disk flushes what the host holds, the 267 MB
// report of the 1 GB bench log waited 0.11-0.18 s for its last sync, and 0.01 s with a sync
// every 32 MiB before it (docs/performance.md).
type writingBack struct {
	*os.File
	// from is where the bytes not yet started to disk begin; at is where writing is;
	// synced is where writing was when the last sync began.
	from, at, synced int64
	// regular is whether the file can be synced (a pipe or a device cannot): 0 until asked.
	regular int8
	busy    atomic.Bool // a sync is running
	syncs   sync.WaitGroup
	mu      sync.Mutex
	err     error        // the first failure of a sync
	doSync  func() error // File.Sync, or what a test has fail or wait
}

const (
	// writebackEvery is how much is written between two starts.
	writebackEvery = 8 << 20
	// syncEvery is how much is written between two syncs, at most one at a time.
	syncEvery = 32 << 20
)

func (w *writingBack) Write(p []byte) (int, error) {
	n, err := w.File.Write(p)
	w.at += int64(n)
	if w.at-w.from >= writebackEvery {
		startWriteback(w.File, w.from, w.at-w.from)
		w.from = w.at
	}
	if w.at-w.synced >= syncEvery && w.syncable() && w.busy.CompareAndSwap(false, true) {
		w.synced = w.at
		w.syncs.Go(func() {
			defer w.busy.Store(false)
			doSync := w.doSync
			if doSync == nil {
				doSync = w.File.Sync
			}
			if err := doSync(); err != nil {
				w.mu.Lock()
				if w.err == nil {
					w.err = err
				}
				w.mu.Unlock()
			}
		})
	}
	return n, err
}

// syncable reports whether the file is a regular one, asking once.
func (w *writingBack) syncable() bool {
	if w.regular == 0 {
		w.regular = -1
		if fi, err := w.File.Stat(); err == nil && fi.Mode().IsRegular() {
			w.regular = 1
		}
	}
	return w.regular > 0
}

// done waits for the sync running, and returns err, or else the first failure of a sync: a
// failure to write is reported to one sync, and the one that ends the output may not see it
// again.
func (w *writingBack) done(err error) error {
	w.syncs.Wait()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// WriteString and ReadFrom go through Write: those of the embedded file (which io.WriteString
// and io.Copy would call) would write past the starts and the syncs.
func (w *writingBack) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *writingBack) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{w}, r)
}
