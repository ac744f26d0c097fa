package components

import "context"

type ctxKey int

const csrfKey ctxKey = 1

// WithCSRFToken puts the request's CSRF token where forms rendered deeper in the
// tree find it, without threading it through every view model.
func WithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey, token)
}

func csrfToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey).(string)
	return t
}
