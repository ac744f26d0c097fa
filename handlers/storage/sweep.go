package storage

import (
	"context"
	"fmt"
	"time"
)

// SweepOptions says what Sweep may remove.
type SweepOptions struct {
	// Grace spares what is younger: an upload between its commit and its row, or
	// one still being written. 24 hours by default.
	Grace time.Duration
	// Now is the time ages are measured from; time.Now() by default.
	Now time.Time
	// Live reports which of keys belong to a file that is not deleted.
	Live func(ctx context.Context, keys []string) (map[string]bool, error)
	// DryRun counts what would be removed and removes nothing.
	DryRun bool
	// OnError, if set, hears of each removal that failed.
	OnError func(it Item, err error)
}

// SweepReport counts what Sweep saw and did.
type SweepReport struct {
	// Blobs is how many blobs were looked at; Kept of them belong to a file.
	Blobs, Kept int
	// Orphans are blobs without a file (never recorded, or deleted) removed;
	// Leftovers are temporary remains of uploads removed.
	Orphans, Leftovers int
	// Young are orphans and leftovers spared by the grace period.
	Young int
	// Failed is how many removals failed (the next sweep tries again).
	Failed int
}

// sweepBatch is how many keys one call of Live checks.
const sweepBatch = 500

// Sweep removes the blobs that belong to no file and the leftovers of unfinished
// uploads, if older than the grace period. It holds at most one batch of keys in
// memory, whatever the number of blobs. A failed removal is counted, not fatal.
func Sweep(ctx context.Context, st Storage, opt SweepOptions) (SweepReport, error) {
	if opt.Live == nil {
		return SweepReport{}, fmt.Errorf("sweep: no Live function")
	}
	if opt.Grace == 0 {
		opt.Grace = 24 * time.Hour
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	cutoff := opt.Now.Add(-opt.Grace)
	var rep SweepReport
	var batch []Item

	remove := func(it Item) {
		if opt.DryRun {
			return
		}
		if err := st.Remove(ctx, it); err != nil {
			rep.Failed++
			if opt.OnError != nil {
				opt.OnError(it, err)
			}
		}
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		keys := make([]string, len(batch))
		for i, it := range batch {
			keys[i] = it.Key
		}
		live, err := opt.Live(ctx, keys)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		for _, it := range batch {
			switch {
			case live[it.Key]:
				rep.Kept++
			case !it.ModTime.Before(cutoff):
				rep.Young++
			default:
				rep.Orphans++
				remove(it)
			}
		}
		batch = batch[:0]
		return nil
	}

	err := st.List(ctx, func(it Item) error {
		if it.Temporary {
			if it.ModTime.Before(cutoff) {
				rep.Leftovers++
				remove(it)
			} else {
				rep.Young++
			}
			return nil
		}
		rep.Blobs++
		batch = append(batch, it)
		if len(batch) >= sweepBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	return rep, flush()
}
