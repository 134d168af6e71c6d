package dashboards

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// assetsFS holds what the browser loads: app.js, app.css, the theme, the
// favicon, and vendor/ (echarts, its Vietnamese locale, the Noto Sans
// fonts) copied from node_modules by scripts/vendor-assets.sh. vendor/ is
// not in git: an embed of the whole directory compiles without it, and New
// refuses to start without echarts.
//
//go:embed assets
var assetsFS embed.FS

//go:embed templates/*.html
var templatesFS embed.FS

// assetServer serves the embedded assets with a content hash in their URL
// (?v=), so that browsers may keep them for a year.
type assetServer struct {
	fsys    fs.FS
	version map[string]string // path under assets/ → short content hash
	files   http.Handler
}

func newAssetServer() (*assetServer, error) { return newAssetServerFS(assetsFS) }

func newAssetServerFS(root fs.FS) (*assetServer, error) {
	sub, err := fs.Sub(root, "assets")
	if err != nil {
		return nil, err
	}
	if st, err := fs.Stat(sub, "vendor/echarts.min.js"); err != nil || st.Size() < 100_000 {
		return nil, ErrNoEcharts
	}
	a := &assetServer{fsys: sub, version: map[string]string{}, files: http.FileServerFS(sub)}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		a.version[p] = hex.EncodeToString(h[:6])
		return nil
	})
	return a, err
}

// url is the versioned URL of an asset.
func (a *assetServer) url(p string) string {
	p = strings.TrimPrefix(p, "/")
	if v, ok := a.version[p]; ok {
		return "/assets/" + p + "?v=" + v
	}
	return "/assets/" + p
}

func (a *assetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean(r.URL.Path), "/assets/")
	if _, ok := a.version[p]; !ok {
		http.NotFound(w, r) // no directory listings, nothing but files
		return
	}
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	switch path.Ext(p) {
	case ".woff2":
		w.Header().Set("Content-Type", "font/woff2")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + p
	a.files.ServeHTTP(w, r2)
}

// parsePage parses the layout with one page's content.
func parsePage(name string, a *assetServer) (*template.Template, error) {
	funcs := template.FuncMap{
		"asset": a.url,
	}
	return template.New(name).Funcs(funcs).ParseFS(templatesFS, "templates/layout.html", "templates/"+name+".html")
}
