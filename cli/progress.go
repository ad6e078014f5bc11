package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/auditreport/auditreport/audit"
)

// progress shows on a terminal how far reading has come, redrawing one line.
type progress struct {
	w     io.Writer
	p     *audit.Progress
	total int64 // bytes, 0 when unknown
	start time.Time
	stop  chan struct{}
	done  chan struct{}
}

func startProgress(w io.Writer, p *audit.Progress, total int64) *progress {
	pr := &progress{w: w, p: p, total: total, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(pr.done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				pr.draw()
			case <-pr.stop:
				fmt.Fprint(pr.w, "\r\x1b[K")
				return
			}
		}
	}()
	return pr
}

func (pr *progress) draw() {
	b, ev := pr.p.Bytes.Load(), pr.p.Events.Load()
	secs := time.Since(pr.start).Seconds()
	line := fmt.Sprintf("reading %s", mib(b))
	if pr.total > 0 {
		line += fmt.Sprintf(" of %s (%d%%)", mib(pr.total), b*100/pr.total)
	}
	if secs > 0 {
		line += fmt.Sprintf(" · %s/s · %.0f events/s", mib(int64(float64(b)/secs)), float64(ev)/secs)
	}
	fmt.Fprintf(pr.w, "\r\x1b[K%s", line)
}

func (pr *progress) Stop() {
	close(pr.stop)
	<-pr.done
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
