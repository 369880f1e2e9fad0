package sandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"unique"
)

// fresh keeps, in 16 bytes each, the transactions that were created and
// have not changed since: INITIALIZED (or past their expiry, which refresh
// derives), no error, no login, no batches, the expiry the TTL gives. Under
// sustained creates almost every transaction is one of these, and the
// docs' five-minute lifetime (plus as long again answering 410) makes
// millions of them at a few thousand creates a second.
//
// A transaction id is TRX_ and the AES encryption, under a key drawn from
// Config.Rand when the sandbox starts, of the transaction's sequence number.
// So ids look random and cannot be guessed from one another, as before, and
// decrypting an id gives where its record is: the records need no index
// and no copy of their id. Records sit in creation order in chunks; a
// chunk is released once every record in it is gone.
type fresh struct {
	blk    cipher.Block
	next   uint64 // the sequence number of the next id
	head   uint64 // no record below head is held
	base   uint64 // the sequence number of chunks[0][0]; a multiple of freshChunkLen
	chunks []*freshChunk
	n      int // records held
}

const freshChunkLen = 4096

type freshChunk [freshChunkLen]freshRec

// freshRec is a fresh transaction: when it was created and its interned
// request and owner. A zero shape marks an empty slot (never created,
// moved to the store's other forms, or purged).
type freshRec struct {
	created int64 // Unix ns
	shape   unique.Handle[shape]
}

func newFresh(key [16]byte) *fresh {
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		panic("sandbox: AES-128 key of 16 bytes refused: " + err.Error()) // cannot happen: the length is fixed
	}
	return &fresh{blk: blk}
}

// issue reserves the next sequence number and returns it with its id,
// making room for its record.
func (f *fresh) issue() (uint64, txnKey) {
	seq := f.next
	f.next++
	for seq >= f.base+uint64(len(f.chunks))*freshChunkLen {
		f.chunks = append(f.chunks, new(freshChunk))
	}
	return seq, f.key(seq)
}

// key is the id of sequence number seq: AES(0^8 || seq).
func (f *fresh) key(seq uint64) txnKey {
	var in [16]byte
	var k txnKey
	binary.BigEndian.PutUint64(in[8:], seq)
	f.blk.Encrypt(k[:], in[:])
	return k
}

// seq is the sequence number of id k, when k is an id this sandbox issued
// whose record may still be held. AES is a permutation, so a key that
// decrypts to 0^8 || seq is exactly the id of seq.
func (f *fresh) seq(k txnKey) (uint64, bool) {
	var out [16]byte
	f.blk.Decrypt(out[:], k[:])
	if binary.BigEndian.Uint64(out[:8]) != 0 {
		return 0, false
	}
	seq := binary.BigEndian.Uint64(out[8:])
	return seq, seq >= f.head && seq < f.next
}

func (f *fresh) slot(seq uint64) *freshRec {
	i := seq - f.base
	return &f.chunks[i/freshChunkLen][i%freshChunkLen]
}

// get is the record of k, when one is held.
func (f *fresh) get(k txnKey) (uint64, freshRec, bool) {
	seq, ok := f.seq(k)
	if !ok {
		return 0, freshRec{}, false
	}
	r := *f.slot(seq)
	return seq, r, r.shape != (unique.Handle[shape]{})
}

// set stores r in the slot of seq (which issue reserved and purge has not
// passed).
func (f *fresh) set(seq uint64, r freshRec) {
	p := f.slot(seq)
	if p.shape == (unique.Handle[shape]{}) {
		f.n++
	}
	*p = r
}

// clear empties the slot of seq.
func (f *fresh) clear(seq uint64) {
	p := f.slot(seq)
	if p.shape != (unique.Handle[shape]{}) {
		f.n--
		*p = freshRec{}
	}
}

// purge drops, from the oldest on, the records gone(created) says are past
// their retention, and the empty slots among them, stopping at the first
// record still kept; it returns how many records went. Records come in
// creation order, so on a clock that only moves forward this drops every
// record past its retention; after the clock was moved back, a record
// waits for the older ones before it.
func (f *fresh) purge(gone func(created int64) bool) int {
	n := 0
	for f.head < f.next {
		p := f.slot(f.head)
		if p.shape != (unique.Handle[shape]{}) {
			if !gone(p.created) {
				break
			}
			*p = freshRec{}
			f.n--
			n++
		}
		f.head++
		if f.head-f.base >= freshChunkLen {
			f.chunks[0] = nil
			f.chunks = f.chunks[1:]
			f.base += freshChunkLen
		}
	}
	return n
}

// each calls fn on every record held, oldest first.
func (f *fresh) each(fn func(k txnKey, r freshRec)) {
	for seq := f.head; seq < f.next; seq++ {
		if r := *f.slot(seq); r.shape != (unique.Handle[shape]{}) {
			fn(f.key(seq), r)
		}
	}
}
