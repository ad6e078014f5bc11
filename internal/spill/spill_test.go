package spill

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// Lists appended a block at a time, interleaved, read back whole and in order.
func TestListsReadBackInOrder(t *testing.T) {
	s := New(t.TempDir())
	defer s.Close()
	lists := make([]List, 5)
	want := make([][]string, len(lists))
	for round := range 40 {
		for i := range lists {
			if (round+i)%3 == 0 {
				continue // not every list gets a block every round
			}
			var block []byte
			n := 1 + (round*7+i)%5
			for k := range n {
				rec := fmt.Sprintf("list %d round %d record %d %s", i, round, k, bytes.Repeat([]byte{'x'}, (round*31+k)%300))
				want[i] = append(want[i], rec)
				block = AppendRecord(block, []byte(rec))
			}
			if err := s.Append(&lists[i], block, n); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	for i := range lists {
		var got []string
		if err := s.Each(&lists[i], func(rec []byte) bool { got = append(got, string(rec)); return true }); err != nil {
			t.Fatal(err)
		}
		if lists[i].Len() != len(want[i]) || len(got) != len(want[i]) {
			t.Fatalf("list %d: %d records read, Len %d, want %d", i, len(got), lists[i].Len(), len(want[i]))
		}
		for k := range got {
			if got[k] != want[i][k] {
				t.Fatalf("list %d record %d: %q, want %q", i, k, got[k], want[i][k])
			}
		}
	}
	// Compacted, each list is one block and reads the same.
	order := []*List{&lists[3], &lists[0], nil, &lists[4], &lists[1], &lists[2]}
	if err := s.Compact(order); err != nil {
		t.Fatal(err)
	}
	for i := range lists {
		var got []string
		if err := s.Each(&lists[i], func(rec []byte) bool { got = append(got, string(rec)); return true }); err != nil {
			t.Fatal(err)
		}
		if lists[i].prev != -1 || fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Fatalf("list %d after compaction: %d records, prev block %d", i, len(got), lists[i].prev)
		}
	}
	// Stopping early reads no further.
	n := 0
	s.Each(&lists[1], func([]byte) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("read %d records after asking to stop at 3", n)
	}
}

// Lists joined by CompactJoined read as one, in the order of the group; a list named in a
// record (AppendList) reads back the same.
func TestJoinedLists(t *testing.T) {
	s := New(t.TempDir())
	defer s.Close()
	lists := make([]List, 4)
	var want []string
	for i := range lists {
		for round := range 3 {
			rec := fmt.Sprintf("list %d block %d", i, round)
			if i < 3 {
				want = append(want, rec)
			}
			if err := s.Append(&lists[i], AppendRecord(nil, []byte(rec)), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	named := AppendList([]byte("x"), &lists[3])
	if err := s.CompactJoined([]*List{&lists[0], nil, &lists[1], &lists[2], &lists[3]}, []int{4, 5}); err != nil {
		t.Fatal(err)
	}
	var got []string
	s.Each(&lists[0], func(rec []byte) bool { got = append(got, string(rec)); return true })
	if fmt.Sprint(got) != fmt.Sprint(want) || lists[0].Len() != 9 || lists[1].Len() != 0 || lists[2].Len() != 0 {
		t.Errorf("joined: %q (Len %d, %d, %d), want %q", got, lists[0].Len(), lists[1].Len(), lists[2].Len(), want)
	}
	back, k := ReadList(AppendList(nil, &lists[3]))
	if back != lists[3] || k == 0 {
		t.Errorf("list read back as %+v (%d bytes), want %+v", back, k, lists[3])
	}
	if _, k := ReadList(named[1 : len(named)-1]); k != 0 {
		t.Errorf("a list cut short read as %d bytes", k)
	}
}

// A group whose records are in one block is written as it is, into the group's first list
// even when that one is empty, and its other lists are emptied, as any group is.
func TestJoinedOneBlock(t *testing.T) {
	s := New(t.TempDir())
	defer s.Close()
	lists := make([]List, 3)
	if err := s.Append(&lists[1], AppendRecord(AppendRecord(nil, []byte("a")), []byte("b")), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(&lists[2], AppendRecord(nil, []byte("c")), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.CompactJoined([]*List{&lists[0], &lists[1], nil, &lists[2]}, []int{3, 4}); err != nil {
		t.Fatal(err)
	}
	read := func(l *List) string {
		var got []string
		if err := s.Each(l, func(rec []byte) bool { got = append(got, string(rec)); return true }); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	if got, got2 := read(&lists[0]), read(&lists[2]); got != "[a b]" || lists[0].Len() != 2 || lists[1].Len() != 0 || got2 != "[c]" {
		t.Errorf("groups read back as %s (Len %d, %d) and %s; want [a b] (Len 2, 0) and [c]", got, lists[0].Len(), lists[1].Len(), got2)
	}
}

// The file is gone from the folder as soon as it is made, and a damaged block is an error
// that names the folder, never a panic or a short list read as whole.
func TestNothingLeftAndDamageFound(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	var l List
	if err := s.Append(&l, AppendRecord(nil, bytes.Repeat([]byte("abc"), 1000)), 1); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the folder holds %v", entries)
	}
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.f.WriteAt([]byte{0xff, 0xff, 0xff}, headerSize+2); err != nil {
		t.Fatal(err)
	}
	err := s.Each(&l, func([]byte) bool { return true })
	var se *Error
	if !errors.As(err, &se) || se.Dir != dir {
		t.Errorf("reading a damaged block: %v, want an error naming %s", err, dir)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// A folder the file cannot be made in fails the first append, naming the folder.
func TestCannotCreate(t *testing.T) {
	dir := t.TempDir() + "/missing"
	s := New(dir)
	var l List
	err := s.Append(&l, AppendRecord(nil, []byte("x")), 1)
	var se *Error
	if !errors.As(err, &se) || se.Dir != dir || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("append in a missing folder: %v", err)
	}
	if s.Err() == nil {
		t.Error("the failure does not stick")
	}
}

// While lists are compacted, the file compacted and the new one are both on disk: Peak
// counts both, Size the new one.
func TestPeakCountsBothFilesOfACompaction(t *testing.T) {
	s := New(t.TempDir())
	defer s.Close()
	lists := make([]List, 3)
	for i := range lists {
		for round := range 4 {
			rec := bytes.Repeat([]byte{byte('a' + i + round)}, 5000)
			if err := s.Append(&lists[i], AppendRecord(nil, rec), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := s.Size()
	if s.Peak() != before {
		t.Fatalf("before compacting: Peak %d, Size %d", s.Peak(), before)
	}
	if err := s.Compact([]*List{&lists[0], &lists[1], &lists[2]}); err != nil {
		t.Fatal(err)
	}
	after := s.Size()
	if after == 0 || after > before || s.Peak() != before+after {
		t.Errorf("Size %d before and %d after compacting, Peak %d: want the two added", before, after, s.Peak())
	}
}

// Walk stops at the first error its function returns, which becomes the store's failure.
func TestWalkStopsAtAnError(t *testing.T) {
	s := New(t.TempDir())
	defer s.Close()
	var l List
	var block []byte
	for i := range 5 {
		block = AppendRecord(block, []byte{byte('a' + i)})
	}
	if err := s.Append(&l, block, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	var seen []byte
	stop := errors.New("record c is bad")
	err := s.Walk(&l, func(rec []byte) error {
		seen = append(seen, rec[0])
		if rec[0] == 'c' {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || string(seen) != "abc" || !errors.Is(s.Err(), stop) {
		t.Errorf("Walk read %q and returned %v, store error %v", seen, err, s.Err())
	}
}

// appendedLists fills a store with n lists of bytes that do not compress, a record appended
// to each in turn, rounds times over, as a report's spills append: the file then spans many
// read-ahead windows. order is the lists in turn, to compact them by.
func appendedLists(tb testing.TB, n, rounds int) (s *Store, lists []List, want [][][]byte, order []*List) {
	s = New(tb.TempDir())
	tb.Cleanup(func() { s.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	lists, want, order = make([]List, n), make([][][]byte, n), make([]*List, n)
	for round := range rounds {
		for i := range lists {
			rec := make([]byte, 200+rng.IntN(900)+round)
			for k := range rec {
				rec[k] = byte(rng.Uint32())
			}
			want[i] = append(want[i], rec)
			if err := s.Append(&lists[i], AppendRecord(nil, rec), 1); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for i := range lists {
		order[i] = &lists[i]
	}
	return s, lists, want, order
}

// compactedLists is appendedLists of three rounds, compacted in list order.
func compactedLists(tb testing.TB, n int) (*Store, []List, [][][]byte) {
	s, lists, want, order := appendedLists(tb, n, 3)
	if err := s.Compact(order); err != nil {
		tb.Fatal(err)
	}
	return s, lists, want
}

// Readers going through a compacted store at once, in order, backwards and at random,
// each read every list whole and right: the read-ahead windows they share serve each its own
// stretch of the file.
func TestCompactedReadAtOnce(t *testing.T) {
	s, lists, want := compactedLists(t, 3000)
	if s.Size() < 4*windowSize*windowCount/2 {
		t.Fatalf("the store holds %d bytes: too few to span the windows", s.Size())
	}
	orders := [][]int{make([]int, len(lists)), make([]int, len(lists)), rand.New(rand.NewPCG(3, 4)).Perm(len(lists))}
	for i := range lists {
		orders[0][i], orders[1][i] = i, len(lists)-1-i
	}
	orders = append(orders, orders[0], orders[0], orders[2])
	errs := make(chan error, len(orders))
	for _, order := range orders {
		go func() {
			for _, i := range order {
				k := 0
				err := s.Each(&lists[i], func(rec []byte) bool {
					if k >= len(want[i]) || !bytes.Equal(rec, want[i][k]) {
						k = -1
						return false
					}
					k++
					return true
				})
				if err == nil && k != len(want[i]) {
					err = fmt.Errorf("list %d read back wrong (%d records right)", i, k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range orders {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkReadCompacted reads every list of a compacted store in order, as a renderer does.
func BenchmarkReadCompacted(b *testing.B) {
	s, lists, _ := compactedLists(b, 20000)
	b.SetBytes(s.Size())
	for b.Loop() {
		for i := range lists {
			if err := s.Each(&lists[i], func([]byte) bool { return true }); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCompact rewrites 5,000 lists appended in 40 rounds (appendedLists), in list order.
func BenchmarkCompact(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s, _, _, order := appendedLists(b, 5000, 40)
		b.StartTimer()
		if err := s.Compact(order); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close() // its file, before the next is made
		b.StartTimer()
	}
}

// A compacted file cut short, read through the windows: the lists before the cut read whole,
// every later one is an error naming the folder, never a panic or a short list read as whole.
func TestCompactedCutShort(t *testing.T) {
	s, lists, want := compactedLists(t, 500)
	cut := s.Size() / 2
	if err := s.f.Truncate(cut); err != nil {
		t.Fatal(err)
	}
	whole, failed := 0, 0
	for i := range lists {
		var got [][]byte
		err := s.Each(&lists[i], func(rec []byte) bool { got = append(got, bytes.Clone(rec)); return true })
		var se *Error
		switch {
		case err == nil && len(got) == len(want[i]) && bytes.Equal(bytes.Join(got, nil), bytes.Join(want[i], nil)):
			whole++
		case errors.As(err, &se) && se.Dir == s.dir:
			failed++
		default:
			t.Fatalf("list %d, after the cut at %d of %d bytes: %d records, error %v", i, cut, s.Size(), len(got), err)
		}
		if failed > 0 && err == nil {
			t.Fatalf("list %d read whole after an earlier one failed: it lies past the cut", i)
		}
	}
	if whole == 0 || failed == 0 {
		t.Errorf("%d lists read whole and %d failed: the cut should part them", whole, failed)
	}
}
