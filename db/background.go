package db

import "context"

type backgroundKey struct{}

// Background marks ctx as the portal's own background work (such as the mail outbox's
// worker) rather than a request's, so that the query-count harness leaves it out.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
