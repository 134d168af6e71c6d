package transform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
)

// PIIKeyEnv names the environment variable holding the personal-data hash key.
const PIIKeyEnv = "KTXH_PII_KEY"

// Hasher replaces identifiers by a keyed hash (HMAC-SHA256, first 128 bits,
// hex): counting distinct applicants or staff stays possible, recovering an
// ID number from the lake does not without the key. Not safe for concurrent
// use; each partition worker owns one.
type Hasher struct {
	mac  hash.Hash
	sum  []byte
	out  []byte
	norm []byte
	// seen remembers recent hashes, direct-mapped: every snapshot of a
	// dossier carries the same applicant ID, and an HMAC costs ten times a
	// probe. A slot knows its ID by two independent 64-bit hashes (a false
	// match has odds of 2^-128), so a probe reads one small slot, and a
	// miss allocates only the hash it returns.
	seed1, seed2 maphash.Seed
	seen         []hashSlot
}

type hashSlot struct {
	h1, h2 uint64
	sum    string
}

const hashCacheSize = 1 << 14 // slots, a power of two

// NewHasher returns a Hasher for key, which must be at least 16 bytes.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("pii key: %d bytes, need at least 16", len(key))
	}
	k := append([]byte(nil), key...)
	return &Hasher{mac: hmac.New(sha256.New, k), sum: make([]byte, 0, 32), out: make([]byte, 32),
		seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), seen: make([]hashSlot, hashCacheSize)}, nil
}

// Hash returns the keyed hash of an identifier, normalised (trimmed, upper
// case) so that "  012345678901" and "012345678901" count as one person.
func (h *Hasher) Hash(id []byte) string {
	h.norm = h.norm[:0]
	for _, c := range trimSpace(id) {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		h.norm = append(h.norm, c)
	}
	h1, h2 := maphash.Bytes(h.seed1, h.norm), maphash.Bytes(h.seed2, h.norm)
	slot := &h.seen[h1&(hashCacheSize-1)]
	if slot.h1 == h1 && slot.h2 == h2 && slot.sum != "" {
		return slot.sum
	}
	h.mac.Reset()
	h.mac.Write(h.norm)
	h.sum = h.mac.Sum(h.sum[:0])
	hex.Encode(h.out, h.sum[:16])
	*slot = hashSlot{h1: h1, h2: h2, sum: string(h.out)}
	return slot.sum
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// LoadPIIKey returns the key from KTXH_PII_KEY, else from keyFile, creating
// keyFile with a fresh random key (mode 0600) on first run. The key file
// must live outside the lake: anyone who reads it can test guesses of ID
// numbers against the hashes.
func LoadPIIKey(keyFile string) ([]byte, error) {
	if k := os.Getenv(PIIKeyEnv); k != "" {
		if len(k) < 16 {
			return nil, fmt.Errorf("%s: %d bytes, need at least 16", PIIKeyEnv, len(k))
		}
		return []byte(k), nil
	}
	if keyFile == "" {
		return nil, errors.New("pii key: set " + PIIKeyEnv + " or a key file")
	}
	b, err := os.ReadFile(keyFile)
	if err == nil {
		k := strings.TrimSpace(string(b))
		if len(k) < 16 {
			return nil, fmt.Errorf("pii key file %s: %d bytes, need at least 16", keyFile, len(k))
		}
		return []byte(k), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read pii key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate pii key: %w", err)
	}
	k := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, fmt.Errorf("create pii key dir: %w", err)
	}
	// Written aside and linked into place: a concurrent first run sees
	// either no file or the whole key, and exactly one key wins.
	f, err := os.CreateTemp(filepath.Dir(keyFile), ".pii-key-*")
	if err != nil {
		return nil, fmt.Errorf("create pii key: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(k + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write pii key: %w", err)
	}
	if err := os.Link(f.Name(), keyFile); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("install pii key: %w", err)
	}
	return LoadPIIKey(keyFile)
}

// DefaultPIIKeyFile is where the key is kept when KTXH_PII_KEY is unset.
func DefaultPIIKeyFile() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "ktxh", "pii.key")
	}
	return filepath.Join(os.TempDir(), "ktxh-pii.key")
}
