package audit

import (
	"bufio"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// prefetch reads a source on its own goroutine, in chunks, hashing and counting them there,
// so that reading and SHA-256 run beside decoding instead of before it.
type prefetch struct {
	chunks chan []byte
	free   chan []byte
	cur    []byte
	buf    []byte
	done   chan struct{}
	err    error // set before chunks is closed
	n      int64
	// truncated, when set, is asked where to go on when the source was truncated under
	// the reader at byte at (sum is the digest of the bytes before): a reader placed after
	// those bytes in a copy, or nil to end there.
	truncated func(at int64, sum []byte) io.Reader
}

const (
	prefetchChunk = 256 << 10
	prefetchDepth = 2
)

func newPrefetch(r io.Reader, h hash.Hash, total *atomic.Int64, stop <-chan struct{}, truncated func(int64, []byte) io.Reader) *prefetch {
	p := &prefetch{truncated: truncated, chunks: make(chan []byte, prefetchDepth), free: make(chan []byte, prefetchDepth+1), done: make(chan struct{})}
	for i := 0; i < prefetchDepth+1; i++ {
		p.free <- chunkPool.Get().([]byte)
	}
	go func() {
		defer close(p.chunks)
		for {
			var b []byte
			select {
			case b = <-p.free:
			case <-stop:
				return
			case <-p.done:
				return
			}
			n, err := io.ReadFull(r, b)
			if n > 0 {
				h.Write(b[:n])
				p.n += int64(n)
				if total != nil {
					total.Add(int64(n))
				}
				select {
				case p.chunks <- b[:n]:
				case <-stop:
					return
				case <-p.done:
					return
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			var te *errTruncated
			if errors.As(err, &te) && p.truncated != nil {
				if next := p.truncated(te.at, h.Sum(nil)); next != nil {
					r = next
					continue
				}
				return
			}
			if err != nil {
				p.err = err
				return
			}
		}
	}()
	return p
}

func (p *prefetch) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)]
			p.buf = nil
		}
		c, ok := <-p.chunks
		if !ok {
			if p.err != nil {
				return 0, p.err
			}
			return 0, io.EOF
		}
		p.cur, p.buf = c, c
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// chunkPool and readerPool keep the buffers of sources read one after the other (rotated
// files), so that thousands of files do not allocate a megabyte each.
var (
	chunkPool  = sync.Pool{New: func() any { return make([]byte, prefetchChunk) }}
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
)

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

// release gives the chunks back to the pool once drain has returned.
func (p *prefetch) release() {
	for {
		select {
		case b := <-p.free:
			chunkPool.Put(b[:cap(b)]) //nolint:staticcheck // a slice header is small
		default:
			return
		}
	}
}

// drain reads the rest of the source, so that the digest covers every stored byte, and
// returns how many bytes were read in all.
func (p *prefetch) drain() (int64, error) {
	for {
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)]
			p.buf, p.cur = nil, nil
		}
		c, ok := <-p.chunks
		if !ok {
			return p.n, p.err
		}
		p.buf = c
	}
}
