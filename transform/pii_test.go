package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// The cache never changes an answer: through hits, misses and evictions
// (more IDs than slots, revisited), every hash is the keyed HMAC of the
// normalised ID.
func TestHasherCacheAgreesWithHMAC(t *testing.T) {
	key := []byte("test-key-0123456789abcdef")
	h, err := NewHasher(key)
	if err != nil {
		t.Fatal(err)
	}
	want := func(id string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		return hex.EncodeToString(m.Sum(nil)[:16])
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < 3*hashCacheSize; i += 7 {
			id := fmt.Sprintf("0720900%05d", i)
			if got := h.Hash([]byte(id)); got != want(id) {
				t.Fatalf("round %d: Hash(%s) = %s, want %s", round, id, got, want(id))
			}
		}
	}
	if got := h.Hash([]byte(" 07209abc ")); got != want("07209ABC") {
		t.Errorf("normalisation: got %s, want the hash of 07209ABC", got)
	}
	if _, err := NewHasher([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}
