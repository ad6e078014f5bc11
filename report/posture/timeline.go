package posture

import "time"

// Point is the count of pods in scope at one instant, by protection: protected both ways,
// unprotected in at least one direction, or unknown (and not unprotected).
type Point struct {
	At                              time.Time
	Protected, Unprotected, Unknown int
}

// Timeline samples the pods' protection at n instants evenly spread over [start, end]: the
// series a chart of protected pods over the period draws.
func (p *Posture) Timeline(start, end time.Time, n int) []Point {
	if n < 2 || !end.After(start) {
		return nil
	}
	out := make([]Point, n)
	step := end.Sub(start) / time.Duration(n-1)
	for i := range out {
		out[i].At = start.Add(time.Duration(i) * step)
	}
	for _, e := range p.Rows() {
		for i := range out {
			at := out[i].At
			if at.Before(e.From) || p.End != nil && at.After(*p.End) {
				continue // before its life, or a time that has not come yet
			}
			state := e.stateAt(at)
			if at.After(e.To) {
				if p.TrailEnd == nil || !e.To.Equal(*p.TrailEnd) || state == "" {
					continue
				}
				state = Unknown // alive when the trail ended, and not seen since
			}
			switch state {
			case "":
				// between two lives
			case True:
				out[i].Protected++
			case False:
				out[i].Unprotected++
			default:
				out[i].Unknown++
			}
		}
	}
	return out
}

// stateAt replays the pod's transitions to an instant of its life: true when protected both
// ways, false when unprotected in a direction, unknown otherwise, and none ("") between two
// lives (after a "gone", before the next life's first transitions).
func (e *Endpoint) stateAt(at time.Time) Tri {
	state := [2]Tri{True, True}
	for _, tr := range e.Transitions {
		if tr.Time.After(at) {
			break
		}
		d := directionIndex(tr.Direction)
		switch tr.What {
		case "gone":
			state[d] = "" // not alive: none of the three
		case "protected":
			state[d] = True
		case "unprotected":
			state[d] = False
		case "unknown":
			state[d] = Unknown
		}
	}
	switch {
	case state[0] == "" || state[1] == "":
		return ""
	case state[0] == False || state[1] == False:
		return False
	case state[0] == Unknown || state[1] == Unknown:
		return Unknown
	}
	return True
}
