package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tayninh/ktxh/internal/testkafka"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
)

// The test binary doubles as the ktxh binary for the child processes the
// end-to-end tests start and kill.
func TestMain(m *testing.M) {
	if os.Getenv("KTXH_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const testPIIKey = "e2e-test-key-0123456789abcdef"

// ktxh returns a command running this binary as ktxh.
func ktxh(ctx context.Context, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, os.Args[0], args...)
	c.Env = append(os.Environ(), "KTXH_TEST_AS_MAIN=1", "KTXH_PII_KEY="+testPIIKey)
	if stderr != nil {
		c.Stderr = stderr
	}
	return c
}

var personal = []string{"Lê Văn Cường", "079190004321", "079190008888", "cuong.le@example.vn", "0987654321"}

// dossierValues makes n single-object dossier records spread over
// partitions, every 37th one broken, all carrying personal data.
func dossierValues(n, partitions int) []testkafka.Msg {
	msgs := make([]testkafka.Msg, 0, n)
	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		v := fmt.Sprintf(`{"MaHoSo":"000.00.20.H53-240301-%05d","TrangThaiHoSo":%d,"MaLinhVuc":"G13-TN02","KenhThucHien":%d,`+
			`"NgayTiepNhan":"20240301080000","NgayHenTra":"20240315170000","ChuHoSo":"Lê Văn Cường","SoGiayToChuHoSo":"079190004321",`+
			`"DinhDanhCHS":[{"SoDinhDanh":"079190008888"}],"Email":"cuong.le@example.vn","SoDienThoai":"0987654321"}`, i, 2+i%3, 1+i%3)
		if i%37 == 5 {
			v = strings.Replace(v, `"TrangThaiHoSo"`, `"TrangThaiHoSoX"`, 1) // missing status: quarantined
		}
		msgs = append(msgs, testkafka.Msg{Partition: i % partitions, Value: []byte(v), Time: base.Add(time.Duration(i) * time.Second)})
	}
	return msgs
}

func openWarehouse(t *testing.T, dir string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func scalarQuery(t *testing.T, w *warehouse.Warehouse, q string) string {
	t.Helper()
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var s string
	if !rows.Next() {
		t.Fatalf("%s: no row", q)
	}
	if err := rows.Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// checkExactlyOnce asserts that every produced record landed once, as a
// snapshot or a quarantine row.
func checkExactlyOnce(t *testing.T, dir string, n int) {
	t.Helper()
	w := openWarehouse(t, dir)
	q := `WITH landed AS (
	        SELECT kafka_partition AS p, kafka_offset AS o FROM onestop_snapshots
	        UNION ALL SELECT partition, "offset" FROM quarantine WHERE topic = 'onestop.dossiers')
	      SELECT format('{}/{}', count(*), count(DISTINCT (p, o))) FROM landed`
	if got, want := scalarQuery(t, w, q), fmt.Sprintf("%d/%d", n, n); got != want {
		t.Errorf("landed rows/distinct records = %s, want %s", got, want)
	}
	if got, want := scalarQuery(t, w, "SELECT count(*)::VARCHAR FROM quarantine"), fmt.Sprint((n+31)/37); got != want {
		t.Errorf("quarantined = %s, want %s", got, want)
	}
}

// Several SIGKILLs of an ingest process at random instants, then a run to
// the end: every record lands exactly once.
func TestCrashExactlyOnce(t *testing.T) {
	const n, parts = 60000, 3
	brokers := testkafka.Broker(t, parts, pipelines.DefaultTopics().All()...)
	testkafka.Produce(t, brokers, pipelines.TopicDossiers, dossierValues(n, parts)...)
	dir := filepath.Join(t.TempDir(), "lake")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	var logs bytes.Buffer
	for i := 0; i < 5; i++ {
		c := ktxh(ctx, nil, "ingest", "--brokers", brokers[0], "--lake", dir, "--flush-records", "1500", "--session-timeout", "2s")
		gen := watchFor(t, c, &logs, "msg=generation")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill mid-stream: after the process got its partitions, at a
		// random instant of its consumption.
		select {
		case <-gen:
		case <-time.After(60 * time.Second):
			t.Fatalf("no generation within a minute:\n%s", logs.String())
		}
		time.Sleep(time.Duration(50+rng.IntN(700)) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
	}
	c := ktxh(ctx, &logs, "-v", "ingest", "--brokers", brokers[0], "--lake", dir, "--flush-records", "1500", "--session-timeout", "2s", "--exit-when-caught-up")
	start := time.Now()
	err := c.Run()
	t.Logf("final run took %v", time.Since(start))
	if os.Getenv("KTXH_TEST_LOGS") != "" {
		t.Log(logs.String())
	}
	if err != nil {
		t.Fatalf("final ingest: %v\n%s", err, logs.String())
	}
	checkExactlyOnce(t, dir, n)
	if strings.Count(logs.String(), "recovered committed batch") > 0 {
		t.Logf("recovery finished a batch a kill interrupted")
	}
}

// watchFor copies c's stderr to logs and closes the returned channel once
// a line contains s.
func watchFor(t *testing.T, c *exec.Cmd, logs *bytes.Buffer, s string) <-chan struct{} {
	t.Helper()
	pr, pw := io.Pipe()
	c.Stderr = pw
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), s) {
				once = true
				close(seen)
			}
		}
	}()
	t.Cleanup(func() { pw.Close() })
	return seen
}

// Two ingest processes in one group share the partitions; one of them is
// killed half way and a third takes over.
func TestTwoProcessesShareAGroup(t *testing.T) {
	const n, parts = 40000, 4
	brokers := testkafka.Broker(t, parts, pipelines.DefaultTopics().All()...)
	testkafka.Produce(t, brokers, pipelines.TopicDossiers, dossierValues(n, parts)...)
	dir := filepath.Join(t.TempDir(), "lake")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var logs bytes.Buffer
	args := []string{"ingest", "--brokers", brokers[0], "--lake", dir, "--flush-records", "1000", "--group", "shared", "--session-timeout", "2s"}
	a := ktxh(ctx, &logs, args...)
	b := ktxh(ctx, &logs, append(args, "--exit-when-caught-up")...)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	a.Process.Signal(syscall.SIGKILL)
	a.Wait()
	c := ktxh(ctx, &logs, append(args, "--exit-when-caught-up")...)
	if err := c.Run(); err != nil {
		t.Fatalf("third ingest: %v\n%s", err, logs.String())
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("second ingest: %v\n%s", err, logs.String())
	}
	checkExactlyOnce(t, dir, n)
}

// No name, ID number, e-mail or phone reaches a Parquet file or a log line.
func TestPersonalDataNeverInLakeOrLogs(t *testing.T) {
	const n, parts = 2000, 2
	brokers := testkafka.Broker(t, parts, pipelines.DefaultTopics().All()...)
	testkafka.Produce(t, brokers, pipelines.TopicDossiers, dossierValues(n, parts)...)
	dir := filepath.Join(t.TempDir(), "lake")
	var logs bytes.Buffer
	c := ktxh(context.Background(), &logs, "-v", "ingest", "--brokers", brokers[0], "--lake", dir, "--exit-when-caught-up")
	if err := c.Run(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, logs.String())
	}
	w := openWarehouse(t, dir)
	// Every column of every file, nested ones included, as text.
	all := scalarQuery(t, w, fmt.Sprintf(`SELECT string_agg(CAST(t AS VARCHAR), '|') FROM read_parquet(%q, union_by_name = true) t`,
		filepath.Join(dir, "*", "*", "*.parquet")))
	if len(all) < n*50 {
		t.Fatalf("read back only %d bytes of text", len(all))
	}
	for _, p := range personal {
		if strings.Contains(all, p) {
			t.Errorf("personal data %q in the lake", p)
		}
		if strings.Contains(logs.String(), p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
	if !strings.Contains(all, "000.00.20.H53-240301-00001") {
		t.Error("lake text does not contain the dossier codes: the check reads nothing")
	}
}

func TestSQLCommand(t *testing.T) {
	const n, parts = 100, 1
	brokers := testkafka.Broker(t, parts, pipelines.DefaultTopics().All()...)
	testkafka.Produce(t, brokers, pipelines.TopicDossiers, dossierValues(n, parts)...)
	dir := filepath.Join(t.TempDir(), "lake")
	if out, err := ktxh(context.Background(), nil, "ingest", "--brokers", brokers[0], "--lake", dir, "--exit-when-caught-up").CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
		fail  bool
	}{
		{name: "csv", args: []string{"--format", "csv", "SELECT channel, count(*) AS n FROM dossiers GROUP BY ALL ORDER BY 1 NULLS LAST"}, want: "channel,n\n1,33\n2,32\n3,32\n"},
		{name: "null is empty in csv", args: []string{"--format", "csv", "SELECT NULL AS x, 'a' AS y"}, want: "x,y\n,a\n"},
		{name: "json", args: []string{"--format", "json", "SELECT 1 AS a, 'b' AS s"}, want: "[{\"a\":1,\"s\":\"b\"}\n]\n"},
		{name: "stdin statements", args: []string{"--format", "csv"}, stdin: "SELECT 1 AS a;\nSELECT ';' AS b;", want: "a\n1\nb\n;\n"},
		{name: "write refused", args: []string{"CREATE TABLE x AS SELECT 1"}, fail: true, want: "only read statements"},
		{name: "outside file refused", args: []string{"SELECT * FROM read_text('/etc/hostname')"}, fail: true, want: "Permission Error"},
		{name: "bad format", args: []string{"--format", "xml", "SELECT 1"}, fail: true, want: "unknown format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := ktxh(context.Background(), &stderr, append([]string{"sql", "--lake", dir}, c.args...)...)
			cmd.Stdin = strings.NewReader(c.stdin)
			out, err := cmd.Output()
			if c.fail {
				if err == nil {
					t.Fatalf("succeeded: %s", out)
				}
				msg := strings.TrimSpace(stderr.String())
				if !strings.Contains(msg, c.want) || strings.Count(msg, "\n") > 0 {
					t.Errorf("error %q, want one line containing %q", msg, c.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			if string(out) != c.want {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}

// dossierBroker starts a broker holding n dossier records (dossierValues)
// over parts partitions, and names a lake directory to ingest them into.
func dossierBroker(t *testing.T, n int, parts int32) (brokers []string, lake string) {
	t.Helper()
	brokers = testkafka.Broker(t, parts, pipelines.DefaultTopics().All()...)
	testkafka.Produce(t, brokers, pipelines.TopicDossiers, dossierValues(n, int(parts))...)
	return brokers, filepath.Join(t.TempDir(), "lake")
}

// ktxh compact merges the small files of an ingest that committed every
// few records, and ktxh sql answers the same after.
func TestCompactCommand(t *testing.T) {
	const n, parts = 600, 2
	brokers, dir := dossierBroker(t, n, parts)
	if out, err := ktxh(context.Background(), nil, "ingest", "--brokers", brokers[0], "--lake", dir, "--flush-records", "25", "--exit-when-caught-up").CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	files := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.parquet"))
		return len(m)
	}
	const q = `SELECT (SELECT count(*) FROM onestop_snapshots) AS snapshots, (SELECT count(DISTINCT (kafka_partition, kafka_offset)) FROM onestop_snapshots) AS records,
	  (SELECT count(*) FROM dossiers) AS dossiers, (SELECT count(*) FROM quarantine) AS quarantined, (SELECT sum(received) FROM kpi_onestop_monthly) AS received`
	sql := func() string {
		var stderr bytes.Buffer
		out, err := ktxh(context.Background(), &stderr, "sql", "--lake", dir, "--format", "csv", q).Output()
		if err != nil {
			t.Fatalf("sql: %v\n%s", err, stderr.String())
		}
		return string(out)
	}
	before, want := files(), sql()
	if before < n/25 {
		t.Fatalf("%d files after ingest, want at least a snapshot file per batch (%d)", before, n/25)
	}
	var stderr bytes.Buffer
	out, err := ktxh(context.Background(), &stderr, "compact", "--lake", dir, "--min-age", "0", "--grace", "0").Output()
	if err != nil {
		t.Fatalf("compact: %v\n%s", err, stderr.String())
	}
	after := files()
	t.Logf("%d files before, %d after:\n%s", before, after, out)
	if after > 2*parts+1 || !strings.Contains(string(out), "deleted") {
		t.Errorf("%d files after compaction, want one per partition and month (and the quarantine's)", after)
	}
	if got := sql(); got != want {
		t.Errorf("after compaction:\n%s\nwant\n%s", got, want)
	}
}

// ktxh compact run again and again, with no minimum age nor grace period,
// while an ingest process commits small batches: every record lands once.
func TestCompactWhileIngesting(t *testing.T) {
	const n, parts = 20000, 3
	brokers, dir := dossierBroker(t, n, parts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var logs bytes.Buffer
	ing := ktxh(ctx, &logs, "ingest", "--brokers", brokers[0], "--lake", dir, "--flush-records", "100", "--exit-when-caught-up")
	if err := ing.Start(); err != nil {
		t.Fatal(err)
	}
	ingested := make(chan error, 1)
	go func() { ingested <- ing.Wait() }()
	runs, merges := 0, 0
	for done := false; !done; {
		select {
		case err := <-ingested:
			if err != nil {
				t.Fatalf("ingest: %v\n%s", err, logs.String())
			}
			done = true
		default:
		}
		var stderr bytes.Buffer
		out, err := ktxh(ctx, &stderr, "compact", "--lake", dir, "--min-age", "0", "--grace", "0").Output()
		if err != nil {
			t.Fatalf("compact: %v\n%s", err, stderr.String())
		}
		runs++
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "merged ") && !strings.Contains(line, "deleted") { // not the summary
				merges++
			}
		}
	}
	t.Logf("%d compactions, %d merged files", runs, merges)
	if merges == 0 {
		t.Error("no compaction merged anything")
	}
	checkExactlyOnce(t, dir, n)
}
