package db

import (
	"context"
	"fmt"
	"time"
)

// AddRateCount adds n requests to a rate limit's key (a SHA-256) in the window that
// starts at window, on the app connection outside any organization: rate_count holds
// no tenant data.
func (s *Store) AddRateCount(ctx context.Context, key []byte, window time.Time,
	n int) error {
	err := New(s.app).AddRateCountGlobal(ctx, AddRateCountGlobalParams{Key: key,
		WindowStart: window, N: int32(n)})
	if err != nil {
		return fmt.Errorf("add rate count: %w", err)
	}
	return nil
}

// RateCounts returns a rate limit key's counts in the current and the previous window.
func (s *Store) RateCounts(ctx context.Context, key []byte, current, previous time.Time) (
	int, int, error) {
	row, err := New(s.app).GetRateCountsGlobal(ctx, GetRateCountsGlobalParams{
		CurrentWindow: current, PreviousWindow: previous, Key: key})
	if err != nil {
		return 0, 0, fmt.Errorf("read rate counts: %w", err)
	}
	return int(row.CurrentCount), int(row.PreviousCount), nil
}

// DeleteOldRateCounts removes the rate limit windows that started before before and
// returns how many.
func (s *Store) DeleteOldRateCounts(ctx context.Context, before time.Time) (int64, error) {
	n, err := New(s.app).DeleteOldRateCountsGlobal(ctx,
		DeleteOldRateCountsGlobalParams{Before: before})
	if err != nil {
		return 0, fmt.Errorf("delete old rate counts: %w", err)
	}
	return n, nil
}
