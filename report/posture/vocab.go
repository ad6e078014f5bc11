package posture

import "slices"

// vocab numbers the label keys, and the key-value pairs, that the selectors of policies
// name, so that a selector matches a pod by comparing numbers. A policy's write matches
// every pod its selector may select, and a new pod every policy of its namespace: looking
// each of a selector's labels up in the pod's map of labels took half the posture's time
// on the 1 GB bench log.
//
// A pod's words are the numbers of its labels (keys, and key-value pairs) that the vocab
// holds, sorted. They are made again when its labels change, or when the vocab has grown
// since they were made (gen).
type vocab struct {
	keys map[string]*keyWords
	// n counts the words given; numbers start at 1.
	n   int
	gen uint32
}

// keyWords are a key's number and those of the pairs named with it.
type keyWords struct {
	id     uint32
	values map[string]uint32
}

func newVocab(gen uint32) *vocab {
	return &vocab{keys: map[string]*keyWords{}, gen: gen}
}

// key gives a key its number, adding it if new.
func (v *vocab) key(k string) *keyWords {
	kw := v.keys[k]
	if kw == nil {
		kw = &keyWords{id: v.add(), values: map[string]uint32{}}
		v.keys[k] = kw
	}
	return kw
}

// pair gives a key-value pair its number, adding it if new.
func (v *vocab) pair(k, val string) uint32 {
	kw := v.key(k)
	id, ok := kw.values[val]
	if !ok {
		id = v.add()
		kw.values[val] = id
	}
	return id
}

// add numbers a new word: every pod's words must then be made again.
func (v *vocab) add() uint32 {
	v.n++
	v.gen++
	return uint32(v.n)
}

// wordsOf returns the pod's words, made again if its labels or the vocab changed since.
func (v *vocab) wordsOf(p *pod) []uint32 {
	if p.wordsGen == v.gen && p.wordsGen != 0 {
		return p.words
	}
	w := p.words[:0]
	for k, val := range p.labels {
		kw := v.keys[k]
		if kw == nil {
			continue
		}
		w = append(w, kw.id)
		if id, ok := kw.values[val]; ok {
			w = append(w, id)
		}
	}
	slices.Sort(w)
	p.words, p.wordsGen = w, v.gen
	return w
}

// minVocab is the size under which the vocab is never made again: a few thousand words
// cost less than recompiling every policy.
const minVocab = 4096

// crowded reports whether the vocab holds many more words than the live policies' selectors
// name (live): words of policies deleted or changed since stay until it is made again, and
// memory may follow what is alive, never the length of the period.
func (v *vocab) crowded(live int) bool {
	return v.n > minVocab && v.n > 2*live
}

// hasAny reports whether the sorted words hold any of ids.
func hasAny(words, ids []uint32) bool {
	for _, id := range ids {
		if _, ok := slices.BinarySearch(words, id); ok {
			return true
		}
	}
	return false
}
