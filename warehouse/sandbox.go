package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrNotReadOnly is returned for a statement the read-only surface refuses.
var ErrNotReadOnly = errors.New("only read statements (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) are allowed")

// Query runs one read-only statement. The statement is checked before
// anything runs: DuckDB parses it (json_serialize_sql serialises only
// SELECT statements) and it must be exactly one statement. DESCRIBE, SHOW
// and SUMMARIZE are rewritten to their SELECT form and EXPLAIN checks the
// statement it explains. File access outside the lake and setting changes
// are also refused by DuckDB itself (enable_external_access,
// allowed_directories, lock_configuration), so either layer alone holds.
func (w *Warehouse) Query(ctx context.Context, q string) (*sql.Rows, error) {
	stmt, err := w.check(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := w.refresh(ctx, false); err != nil {
		return nil, err
	}
	return w.db.QueryContext(ctx, stmt)
}

var (
	leadingComments = regexp.MustCompile(`^(\s|--[^\n]*\n|/\*(?s:.*?)\*/)*`)
	firstWord       = regexp.MustCompile(`^(?i)(describe|show|summarize|explain(\s+analyze)?)\b`)
)

// check returns the statement to run for q, or why q is refused.
func (w *Warehouse) check(ctx context.Context, q string) (string, error) {
	body := strings.TrimSpace(q[len(leadingComments.FindString(q)):])
	for strings.HasSuffix(body, ";") {
		body = strings.TrimSpace(strings.TrimSuffix(body, ";"))
	}
	if body == "" {
		return "", errors.New("empty query")
	}
	if m := firstWord.FindStringSubmatch(body); m != nil {
		rest := strings.TrimSpace(body[len(m[0]):])
		switch strings.ToLower(strings.Fields(m[0])[0]) {
		case "explain":
			if strings.TrimSpace(m[2]) != "" {
				return "", fmt.Errorf("EXPLAIN ANALYZE runs the statement: %w", ErrNotReadOnly)
			}
			if err := w.isSelect(ctx, rest); err != nil {
				return "", err
			}
			return "EXPLAIN " + rest, nil
		default: // DESCRIBE x, SHOW x, SUMMARIZE x are table functions in FROM
			wrapped := "SELECT * FROM (" + body + ")"
			if err := w.isSelect(ctx, wrapped); err != nil {
				return "", err
			}
			return wrapped, nil
		}
	}
	if err := w.isSelect(ctx, body); err != nil {
		return "", err
	}
	return body, nil
}

// isSelect asks DuckDB's parser whether q is exactly one SELECT statement.
func (w *Warehouse) isSelect(ctx context.Context, q string) error {
	var out string
	if err := w.db.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&out); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	var res struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	if res.Error {
		if strings.Contains(res.ErrorMessage, "Only SELECT statements") {
			return ErrNotReadOnly
		}
		return fmt.Errorf("%s error: %s", res.ErrorType, res.ErrorMessage)
	}
	if len(res.Statements) != 1 {
		return fmt.Errorf("%d statements: send one statement per query", len(res.Statements))
	}
	return nil
}

func splitTrim(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
