// Package static embeds the stylesheet and scripts the portal serves under /static/.
// Both are built from npm packages by `make css` and committed, so that a clean clone
// builds without Node.
package static

import "embed"

// Files holds css/app.css, htmx and the portal's own scripts in js/.
//
//go:embed css/app.css js/*.js
var Files embed.FS
