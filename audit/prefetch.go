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
// so that reading and SHA-256 run beside decoding instead of before it. A source small enough
// to fit in one chunk is read on the caller's goroutine instead (see newPrefetch).
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
	r         io.Reader
	h         hash.Hash
	total     *atomic.Int64
	stop      <-chan struct{}
	// inline reads on the caller's goroutine; ended says the source has no more.
	inline bool
	ended  bool
}

const (
	prefetchChunk = 256 << 10
	prefetchDepth = 2
)

// newPrefetch starts reading r. size is what the source is expected to hold, -1 when not
// known: a source expected to fit in one chunk (a small rotated or exported file) gains
// nothing from a goroutine of its own, which would cost more than the read, and is read inline.
func newPrefetch(r io.Reader, size int64, h hash.Hash, total *atomic.Int64, stop <-chan struct{}, truncated func(int64, []byte) io.Reader) *prefetch {
	p := &prefetch{truncated: truncated, r: r, h: h, total: total, stop: stop}
	if size >= 0 && size < prefetchChunk {
		p.inline = true
		return p
	}
	p.chunks, p.free, p.done = make(chan []byte, prefetchDepth), make(chan []byte, prefetchDepth+1), make(chan struct{})
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
			for {
				c, more := p.next(b)
				if len(c) > 0 {
					select {
					case p.chunks <- c:
					case <-stop:
						return
					case <-p.done:
						return
					}
				}
				if !more {
					return
				}
				if len(c) > 0 {
					break
				}
				// Nothing read before the source went on in a copy: b is still free.
			}
		}
	}()
	return p
}

// next reads the next chunk into b, hashing and counting it: the bytes read, and whether the
// source may hold more (at the end, on an error kept in p.err, or truncated without a copy
// to go on in, it does not).
func (p *prefetch) next(b []byte) ([]byte, bool) {
	n, err := io.ReadFull(p.r, b)
	if n > 0 {
		p.h.Write(b[:n])
		p.n += int64(n)
		if p.total != nil {
			p.total.Add(int64(n))
		}
	}
	if err == nil {
		return b[:n], true
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return b[:n], false
	}
	var te *errTruncated
	if errors.As(err, &te) && p.truncated != nil {
		if next := p.truncated(te.at, p.h.Sum(nil)); next != nil {
			p.r = next
			return b[:n], true
		}
		return b[:n], false
	}
	p.err = err
	return b[:n], false
}

func (p *prefetch) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.inline {
			if !p.fill() {
				if p.err != nil {
					return 0, p.err
				}
				return 0, io.EOF
			}
			continue
		}
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

// fill reads the next chunk inline; it reports false when there is none.
func (p *prefetch) fill() bool {
	for !p.ended {
		select {
		case <-p.stop:
			p.ended = true
			return false
		default:
		}
		if p.buf == nil {
			p.buf = chunkPool.Get().([]byte)
		}
		c, more := p.next(p.buf[:cap(p.buf)])
		p.ended = !more
		if len(c) > 0 {
			p.cur = c
			return true
		}
	}
	return false
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
	if p.inline {
		if p.buf != nil {
			chunkPool.Put(p.buf[:cap(p.buf)]) //nolint:staticcheck // a slice header is small
			p.buf, p.cur = nil, nil
		}
		return
	}
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
	if p.inline {
		for p.fill() {
			p.cur = nil
		}
		return p.n, p.err
	}
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
