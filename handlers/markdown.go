package handlers

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
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
		// Before the task list's own renderer (500), so this one is used. A line break
		// typed stays one, as in a chat or a comment (plain CommonMark joins the lines).
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(
			util.Prioritized(taskBoxes{}, 100)), html.WithHardWraps()),
	)
	return &markdown{md: md, policy: messagePolicy()}
}

// render returns the sanitized HTML of src.
func (m *markdown) render(src string) (string, error) {
	source := []byte(src)
	return m.renderDoc(m.md.Parser().Parse(text.NewReader(source)), source)
}

// renderDoc renders the parsed Markdown doc of source and sanitizes the HTML.
func (m *markdown) renderDoc(doc ast.Node, source []byte) (string, error) {
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, source, doc); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return m.policy.SanitizeReader(&buf).String(), nil
}

// renderedMessage is a message body as the portal stores it beside its Markdown: the
// sanitized HTML, and the one-line excerpt the thread list shows.
type renderedMessage struct {
	HTML, Excerpt string
}

// message renders src and makes its excerpt, from one parse.
func (m *markdown) message(src string) (renderedMessage, error) {
	source := []byte(src)
	doc := m.md.Parser().Parse(text.NewReader(source))
	html, err := m.renderDoc(doc, source)
	if err != nil {
		return renderedMessage{}, err
	}
	return renderedMessage{HTML: html, Excerpt: shorten(plainText(doc, source))}, nil
}

var (
	checkbox     = regexp.MustCompile(`^checkbox$`)
	taskBoxLabel = regexp.MustCompile(`^(Done|Not done)$`)
)

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
	p.AllowAttrs("aria-label").Matching(taskBoxLabel).OnElements("input")
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

// taskBoxes renders a task list item's box as a disabled checkbox with a name,
// "Done" or "Not done", which screen readers say with it: goldmark's has none.
type taskBoxes struct{}

func (taskBoxes) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(east.KindTaskCheckBox, func(w util.BufWriter, _ []byte, n ast.Node,
		entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if n.(*east.TaskCheckBox).IsChecked {
			_, _ = w.WriteString(`<input type="checkbox" checked disabled aria-label="Done"> `)
		} else {
			_, _ = w.WriteString(`<input type="checkbox" disabled aria-label="Not done"> `)
		}
		return ast.WalkContinue, nil
	})
}

// seedMarkdown is the renderer of RenderMessage, built once.
var seedMarkdown = sync.OnceValue(newMarkdown)

// RenderMessage renders a message's Markdown body, and makes its excerpt, as the
// portal stores them beside the source, for commands that add messages themselves
// (the demo data).
func RenderMessage(body string) (html, excerpt string, err error) {
	r, err := seedMarkdown().message(body)
	return r.HTML, r.Excerpt, err
}

// excerptChars is the length of a message's excerpt in the thread list.
const excerptChars = 140

// excerpt shortens a message's Markdown source to one line of its text for the thread
// list: "**Budget** for _2027_" reads "Budget for 2027".
func (m *markdown) excerpt(body string) string {
	source := []byte(body)
	return shorten(plainText(m.md.Parser().Parse(text.NewReader(source)), source))
}

// shorten cuts one line of text to excerptChars, with an ellipsis when it was longer.
func shorten(one string) string {
	if utf8.RuneCountInString(one) <= excerptChars {
		return one
	}
	return string([]rune(one)[:excerptChars-1]) + "…"
}

// plainText returns the words of the parsed Markdown doc of source without its
// markup, on one line: what a one-line excerpt of a message shows. Raw HTML's tags and
// blocks are left out, as the rendered message leaves them out, and struck-out text,
// which the author took back; code keeps its text.
func plainText(doc ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				b.WriteByte(' ')
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.RawHTML, *ast.HTMLBlock, *east.Strikethrough:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			b.Write(n.Segment.Value(source))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.AutoLink:
			b.Write(n.Label(source))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				b.Write(seg.Value(source))
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
