package cli

import "os"

// writingBack is an output file that has what it was given written to disk every few
// mebibytes as it goes, so that the sync that ends the output (finish) waits for the last
// few only: a report of hundreds of megabytes otherwise waited for all of it, after its
// encoding, on a core that had nothing else to do.
type writingBack struct {
	*os.File
	// from is where the bytes not yet started to disk begin; at is where writing is.
	from, at int64
}

// writebackEvery is how much is written between two starts.
const writebackEvery = 8 << 20

func (w *writingBack) Write(p []byte) (int, error) {
	n, err := w.File.Write(p)
	w.at += int64(n)
	if w.at-w.from >= writebackEvery {
		startWriteback(w.File, w.from, w.at-w.from)
		w.from = w.at
	}
	return n, err
}
