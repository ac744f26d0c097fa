package storage

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLocalWriteback writes a blob at the pace of an upload (LOCAL_BENCH_MBPS,
// 300 MB/s by default) in 256 KiB writes and commits it, with and without writeback,
// alternately (LOCAL_BENCH_RUNS pairs, 3 by default), and reports the medians of
// the whole time and of Commit's share (the fsync). FILES_BENCH_BYTES and
// FILES_BENCH_DIR set the size (256 MiB by default) and the disk, as for the
// handlers' file benchmarks:
//
//	FILES_BENCH_BYTES=1073741824 go test -run '^$' -bench LocalWriteback ./handlers/storage/
func BenchmarkLocalWriteback(b *testing.B) {
	n := envInt(b, "FILES_BENCH_BYTES", 256<<20)
	rate := envInt(b, "LOCAL_BENCH_MBPS", 300)
	runs := envInt(b, "LOCAL_BENCH_RUNS", 3)
	dir, err := os.MkdirTemp(os.Getenv("FILES_BENCH_DIR"), "local-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	st, err := NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 256<<10)
	write := func(writeback bool) (total, commit time.Duration) {
		key := "bench/" + strconv.FormatInt(time.Now().UnixNano(), 10)
		up, err := st.Create(context.Background(), key)
		if err != nil {
			b.Fatal(err)
		}
		up.(*localUpload).noWriteback = !writeback
		start := time.Now()
		for sent := int64(0); sent < n; sent += int64(len(chunk)) {
			// Pace the writes like an upload arriving at rate MB/s.
			due := start.Add(time.Duration(float64(sent) / float64(rate) * 1e3))
			time.Sleep(time.Until(due))
			if _, err := up.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		before := time.Now()
		if err := up.Commit(context.Background()); err != nil {
			b.Fatal(err)
		}
		total, commit = time.Since(start), time.Since(before)
		if err := st.Delete(context.Background(), key); err != nil {
			b.Fatal(err)
		}
		return total, commit
	}
	for b.Loop() {
		var on, off, onCommit, offCommit []time.Duration
		for i := range int(runs) {
			for _, wb := range []bool{i%2 == 0, i%2 != 0} {
				total, commit := write(wb)
				if wb {
					on, onCommit = append(on, total), append(onCommit, commit)
				} else {
					off, offCommit = append(off, total), append(offCommit, commit)
				}
			}
		}
		b.Logf("%d MiB at %d MB/s: with writeback %v (commit %v), without %v (commit %v)",
			n>>20, rate, on, onCommit, off, offCommit)
		b.ReportMetric(med(on).Seconds(), "s_with_writeback")
		b.ReportMetric(med(off).Seconds(), "s_without")
		b.ReportMetric(med(onCommit).Seconds(), "commit_s_with")
		b.ReportMetric(med(offCommit).Seconds(), "commit_s_without")
	}
}

func envInt(b *testing.B, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("%s = %q: want a positive number", name, v)
	}
	return n
}

func med(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
