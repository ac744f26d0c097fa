package handlers

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown turns a message's Markdown into HTML that is safe to put in a page. Two
// independent layers do it:
//
//  1. goldmark renders CommonMark with GitHub's tables, strikethrough, task lists and
//     autolinks. Raw HTML in the source is never passed through (goldmark's default);
//     images become links, since the portal's CSP would refuse to load them anyway.
//  2. bluemonday then keeps only the elements and attributes that goldmark produces
//     for those constructs, from an explicit allow-list (stricter than its UGCPolicy):
//     no id, class, style, event handler, data-* or hx-* attribute survives, and links
//     keep only http, https, mailto and relative URLs (no javascript: or data:).
//
// Both are safe for concurrent use once built.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough,
			extension.TaskList, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(
			util.Prioritized(imagesAsLinks{}, 1000))),
	)
	return &markdown{md: md, policy: messagePolicy()}
}

// render returns the sanitized HTML of src.
func (m *markdown) render(src string) (string, error) {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return m.policy.SanitizeReader(&buf).String(), nil
}

var checkbox = regexp.MustCompile(`^checkbox$`)

// messagePolicy allows what goldmark renders for the constructs above, and nothing
// else. Links get rel="nofollow noreferrer noopener", and open in a new tab when they
// lead off the portal.
func messagePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // http, https, mailto and relative; parseable only
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("href", "title").OnElements("a")

	p.AllowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"pre", "code", "em", "strong", "del", "ul", "ol", "li",
		"table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	// Task list items render as disabled checkboxes.
	p.AllowAttrs("type").Matching(checkbox).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	return p
}

// imagesAsLinks replaces each image with a link to it, keeping its alternative text as
// the link's text.
type imagesAsLinks struct{}

func (imagesAsLinks) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		for c := img.FirstChild(); c != nil; c = img.FirstChild() {
			img.RemoveChild(img, c)
			link.AppendChild(link, c)
		}
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

// RenderMessage renders a message's Markdown body as the portal stores it beside the
// source, for commands that add messages themselves (the demo data).
func RenderMessage(body string) (string, error) { return newMarkdown().render(body) }
