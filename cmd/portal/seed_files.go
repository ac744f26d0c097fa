package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/storage"
)

func init() {
	demoContent = append(demoContent, demoSeeder{name: "files", fn: seedFiles})
}

// demoFile is one file of the demo: who uploaded it where, and its content, made
// in code.
type demoFile struct {
	org, uploader, name string
	content             func() []byte
}

var demoFiles = []demoFile{
	{"acme", "alice@acme.example", "Statement of work 2027.pdf", func() []byte {
		return demoPDF("Statement of work 2027", []string{
			"JusB Solutions for Acme", "Scope: client portal, onboarding, support",
			"Term: January to December 2027"})
	}},
	{"acme", "bob@acme.example", "Office floor plan.png", func() []byte {
		return demoPNG(color.RGBA{R: 0x2f, G: 0x6f, B: 0xdb, A: 0xff})
	}},
	{"acme", "alice@acme.example", "Kick-off meeting notes.txt", func() []byte {
		return []byte("Kick-off meeting, Acme and JusB\n\n" +
			"- Alice confirms the scope of the statement of work.\n" +
			"- Bob sends the floor plan for the new office.\n" +
			"- Next meeting in two weeks; JusB prepares the timeline.\n")
	}},
	{"acme", "bob@acme.example", "Budget 2027.csv", func() []byte {
		return []byte("item,quarter,amount_eur\nportal licences,Q1,12000\n" +
			"onboarding,Q1,4500\nsupport,Q2,3000\nsupport,Q3,3000\nsupport,Q4,3000\n")
	}},
	{"globex", "carol@globex.example", "Service agreement.pdf", func() []byte {
		return demoPDF("Service agreement", []string{"JusB Solutions and Globex",
			"Response time: one business day", "Signed by Carol Chen"})
	}},
	{"globex", "dave@globex.example", "Warehouse photo.png", func() []byte {
		return demoPNG(color.RGBA{R: 0x1f, G: 0x9d, B: 0x55, A: 0xff})
	}},
	{"globex", "carol@globex.example", "Requirements.txt", func() []byte {
		return []byte("Globex portal requirements\n\n1. Single sign-on later, " +
			"passwords first.\n2. Monthly report of open tasks.\n" +
			"3. Invoices shared as PDF files.\n")
	}},
}

// seedFiles stores the demo files through the configured storage and records them,
// each with its file.uploaded activity. A file whose name the organization already
// has is left alone, so that running it again adds nothing.
func seedFiles(ctx context.Context, q *db.Queries, w demoWorld) error {
	cfg, err := loadConfig() // the demoSeeder hook passes no settings
	if err != nil {
		return err
	}
	st, err := cfg.Files.openStorage()
	if err != nil {
		return err
	}

	have := map[string]map[string]bool{}
	for _, f := range demoFiles {
		org, ok := w.orgs[f.org]
		if !ok {
			return fmt.Errorf("no demo organization %q", f.org)
		}
		if have[f.org] == nil {
			names := make([]string, 0, len(demoFiles))
			for _, d := range demoFiles {
				names = append(names, d.name)
			}
			found, err := q.ListFileNamesIn(ctx, db.ListFileNamesInParams{OrgID: org.ID,
				Filenames: names})
			if err != nil {
				return fmt.Errorf("list demo files: %w", err)
			}
			have[f.org] = map[string]bool{}
			for _, n := range found {
				have[f.org][n] = true
			}
		}
		if have[f.org][f.name] {
			continue
		}
		if err := seedFile(ctx, q, st, org.ID, w.users[f.uploader], f); err != nil {
			return fmt.Errorf("file %s: %w", f.name, err)
		}
	}
	return nil
}

func seedFile(ctx context.Context, q *db.Queries, st storage.Storage, org db.OrgID,
	uploader uuid.UUID, f demoFile) error {
	content := f.content()
	key := org.String() + "/" + rand.Text()
	up, err := st.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := up.Write(content); err != nil {
		_ = up.Abort()
		return err
	}
	if err := up.Commit(ctx); err != nil {
		return err
	}

	sum := sha256.Sum256(content)
	detected := mimetype.Detect(content)
	base, params, _ := mime.ParseMediaType(detected.String())
	file, err := q.CreateFile(ctx, db.CreateFileParams{ID: uuid.New(), OrgID: org,
		UploaderID: uploader, Filename: f.name, StorageKey: key,
		Mime: mime.FormatMediaType(base, params), Size: int64(len(content)), Sha256: sum[:]})
	if err != nil {
		_ = st.Delete(ctx, key)
		return err
	}
	return q.CreateActivity(ctx, db.CreateActivityParams{OrgID: org, ActorID: &uploader,
		Action: "file.uploaded", TargetType: "file", TargetID: &file.ID,
		Summary: file.Filename})
}

// demoPDF writes a one-page PDF with a title and a few lines of text.
func demoPDF(title string, lines []string) []byte {
	var text strings.Builder
	fmt.Fprintf(&text, "BT /F1 20 Tf 72 760 Td (%s) Tj ET\n", pdfString(title))
	for i, l := range lines {
		fmt.Fprintf(&text, "BT /F1 12 Tf 72 %d Td (%s) Tj ET\n", 720-20*i, pdfString(l))
	}
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " +
			"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", text.Len(), text.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		len(objects)+1, xref)
	return b.Bytes()
}

func pdfString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// demoPNG draws a small picture: a tinted background with a few blocks.
func demoPNG(tint color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 160))
	for y := range 160 {
		for x := range 240 {
			c := color.RGBA{R: uint8(int(tint.R) * x / 240), G: uint8(int(tint.G) * y / 160),
				B: tint.B, A: 0xff}
			if (x/40+y/40)%3 == 0 {
				c = color.RGBA{R: 0xf8, G: 0xfa, B: 0xfc, A: 0xff}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory cannot fail
	return b.Bytes()
}
