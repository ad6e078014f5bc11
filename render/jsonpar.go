package render

import (
	"reflect"
	"runtime"
	"sync"

	"github.com/auditreport/auditreport/report/history"
)

// The histories are most of a report's JSON, and encoding them was most of the time it
// took to write (the rows read back from disk are the rest): they are encoded on every core.
// Runs of resources go to workers, each encoding its run into a buffer of its own as the
// slice encoder would have written it there (each element is written the same wherever it
// is: its comma, its line, its value), and the buffers are written in order. A resource with
// a history too long to hold in a buffer is encoded in place, when its turn comes.

// parallelFrom is the fewest resources encoded in parallel: fewer are written as any slice
// is.
const parallelFrom = 64

var (
	// runRows bounds the rows of one run, and so its buffer: a few hundred kilobytes (a
	// row is written in one to two).
	runRows = 256
	// inPlaceRows is the most rows a resource encoded by a worker has; one with more is
	// encoded in place, streamed as the rows come, so that no buffer holds a long history.
	// The buffers of the runs ahead of the writer hold a few megabytes at most.
	inPlaceRows = 4 * runRows
)

// resourceRun is a run of resources: [from, to), or one resource to encode in place.
type resourceRun struct {
	from, to int
	inPlace  bool
	done     chan encoded
}

// encoded is a run as a worker encoded it, and the error it met.
type encoded struct {
	b   []byte
	err error
}

// newResourcesEnc writes a slice of resources as newSliceEnc does, the runs of its
// resources encoded by workers.
func newResourcesEnc(t reflect.Type) encFunc {
	sequential := newSliceEnc(t)
	elem := encoderLocked(t.Elem())
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		n := v.Len()
		workers := runtime.GOMAXPROCS(0)
		if n < parallelFrom || workers < 2 {
			sequential(e, v, depth)
			return
		}
		runs := resourceRuns(v.Interface().([]history.Resource))
		// Each run is queued to a worker and to the writer in the same order; the writer
		// waits for each in turn. stop ends the queueing early when writing fails; the
		// workers then finish the runs queued, and end.
		queue := make(chan *resourceRun, 2*workers)
		stop := make(chan struct{})
		// free holds the buffers of runs written, for the workers to encode the next in.
		free := make(chan []byte, 4*workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				w := &jsonEncoder{} // no writer: it keeps what it encodes
				for r := range queue {
					select {
					case w.buf = <-free:
					default:
						w.buf = make([]byte, 0, 256<<10)
					}
					w.err = nil
					for i := r.from; i < r.to && w.err == nil; i++ {
						w.element(i, depth, elem, v.Index(i))
					}
					r.done <- encoded{w.buf, w.err} // buffered: never waits
				}
			})
		}
		ordered := make(chan *resourceRun, 2*workers)
		go func() {
			defer close(queue)
			defer close(ordered)
			for i := range runs {
				r := &runs[i]
				r.done = make(chan encoded, 1)
				if !r.inPlace {
					select {
					case queue <- r:
					case <-stop:
						return
					}
				}
				select {
				case ordered <- r:
				case <-stop:
					return
				}
			}
		}()
		e.buf = append(e.buf, '[')
		for r := range ordered {
			if e.err != nil {
				break
			}
			if r.inPlace {
				e.element(r.from, depth, elem, v.Index(r.from))
				continue
			}
			run := <-r.done
			if run.err != nil {
				e.fail(run.err)
				break
			}
			// A buffer handed to be written holds no more than flushAt, or one run.
			if len(e.buf) > 0 && len(e.buf)+len(run.b) > flushAt {
				e.flush(true)
			}
			e.buf = append(e.buf, run.b...)
			select {
			case free <- run.b[:0]:
			default:
			}
			if len(e.buf) >= flushAt {
				e.flush(true)
			}
		}
		close(stop)
		for range ordered {
		}
		wg.Wait()
		if e.err != nil {
			return
		}
		e.newline(depth)
		e.buf = append(e.buf, ']')
	}
}

// resourceRuns cuts the resources into runs of at most runRows rows, and puts each one
// with more than inPlaceRows in a run of its own, encoded in place.
func resourceRuns(rs []history.Resource) []resourceRun {
	var runs []resourceRun
	from, rows := 0, 0
	for i := range rs {
		n := rs[i].Len()
		if n > inPlaceRows {
			if from < i {
				runs = append(runs, resourceRun{from: from, to: i})
			}
			runs = append(runs, resourceRun{from: i, to: i + 1, inPlace: true})
			from, rows = i+1, 0
			continue
		}
		if rows+n > runRows && from < i {
			runs = append(runs, resourceRun{from: from, to: i})
			from, rows = i, 0
		}
		rows += n
	}
	if from < len(rs) {
		runs = append(runs, resourceRun{from: from, to: len(rs)})
	}
	return runs
}
