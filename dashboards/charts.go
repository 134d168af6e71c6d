package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// AssetsHost is where go-echarts would point a page's script tags: ktxh
// serves echarts itself (go-echarts' default is a CDN), and every chart is
// built with this host so that nothing it renders can name another one.
const AssetsHost = "/assets/vendor/"

// theme is the echarts theme registered by assets/themes/ktxh.js.
const theme = "ktxh"

// Colours the pages use with meaning (the theme gives the rest).
const (
	colorGood      = "#2e7d32"
	colorBad       = "#c62828"
	colorWarn      = "#ef6c00"
	colorNeutral   = "#1f5f99"
	colorHighlight = "#8e0000" // TN&MT
	colorTarget    = "#6a1b9a"
)

// chart is a chart ready for a page: its echarts option (built by
// go-echarts) and what app.js needs to format and link it.
type chart struct {
	ID, Title string
	Option    string // JSON
	Axes      string // JSON {"x": [format...], "y": [format...]}
	Series    string // JSON [format per series]
	Links     string // JSON [URL per category], "" when not drillable
	Height    int
	Note      string
}

// series is one series of a chart.
type series struct {
	Name        string
	Line        bool
	Format      string // kInt, kDec1 or kPct
	Values      []*float64
	Stack       string
	Axis        int      // index of the value axis
	Colors      []string // per-item colour overrides ("" keeps the series colour)
	Color       string
	Area        bool
	Labels      bool
	Target      *float64 // a horizontal target line
	TargetLabel string
	TargetBelow bool // label under the line (two targets on one chart)
}

type valueAxis struct {
	Format string
	Name   string
	Max    any
}

// chartSpec says what to draw; build turns it into echarts options.
type chartSpec struct {
	ID, Title  string
	Categories []string
	Horizontal bool
	Series     []series
	Axes       []valueAxis
	Links      []string
	Height     int
	FileName   string
	Note       string
}

func ptr(f float64) *float64 { return &f }

func (sp *chartSpec) build(l Lang) (*chart, error) {
	if len(sp.Axes) == 0 {
		sp.Axes = []valueAxis{{Format: kInt}}
	}
	bar := charts.NewBar()
	bar.AssetsHost = AssetsHost
	bar.PageTitle = sp.Title
	init := opts.Initialization{Theme: theme, AssetsHost: AssetsHost, PageTitle: sp.Title, ChartID: sp.ID}
	fileName := sp.FileName
	if fileName == "" {
		fileName = sp.ID
	}
	legendShown := len(sp.Series) > 1
	right := "16"
	for _, s := range sp.Series {
		if s.Labels && sp.Horizontal {
			right = "56" // room for the value labels right of the bars
		}
	}
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init),
		charts.WithTitleOpts(opts.Title{Show: opts.Bool(false), Title: sp.Title}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legendShown), Type: "scroll", Bottom: "0"}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "8", Top: "0", Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Type: "png", Name: fileName, Title: l.T("chart.save")},
		}}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: right, Top: "36", Bottom: map[bool]string{true: "36", false: "12"}[legendShown], ContainLabel: opts.Bool(true)}),
	)
	category := func() *opts.AxisLabel {
		if sp.Horizontal {
			return &opts.AxisLabel{Show: opts.Bool(true), Width: 190, Overflow: "truncate"}
		}
		return &opts.AxisLabel{Show: opts.Bool(true), HideOverlap: opts.Bool(true)}
	}
	if sp.Horizontal {
		bar.XYReversal()
		bar.SetGlobalOptions(
			charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: sp.Axes[0].Name, Max: sp.Axes[0].Max, AxisLabel: &opts.AxisLabel{Show: opts.Bool(true)}}),
			charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: category()}),
		)
	} else {
		bar.SetGlobalOptions(
			charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: category()}),
			charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: sp.Axes[0].Name, Max: sp.Axes[0].Max, AxisLabel: &opts.AxisLabel{Show: opts.Bool(true)}}),
		)
		for _, ax := range sp.Axes[1:] {
			bar.ExtendYAxis(opts.YAxis{Type: "value", Name: ax.Name, Max: ax.Max, AxisLabel: &opts.AxisLabel{Show: opts.Bool(true)},
				SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
		}
	}
	bar.SetXAxis(sp.Categories)

	formats := make([]string, 0, len(sp.Series))
	var lines []charts.Overlaper
	for _, s := range sp.Series {
		var sopts []charts.SeriesOpts
		if s.Labels {
			sopts = append(sopts, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: map[bool]string{true: "right", false: "top"}[sp.Horizontal]}))
		}
		if s.Color != "" {
			sopts = append(sopts, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}))
		}
		if s.Target != nil {
			sopts = append(sopts,
				charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: s.TargetLabel, YAxis: *s.Target}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					LineStyle: &opts.LineStyle{Color: colorTarget, Type: "dashed", Width: 2},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: s.TargetLabel, Position: map[bool]string{false: "insideEndTop", true: "insideEndBottom"}[s.TargetBelow], Color: colorTarget}}))
		}
		if s.Line {
			ln := charts.NewLine()
			ln.SetXAxis(sp.Categories)
			sopts = append(sopts, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: s.Axis, Smooth: opts.Bool(false), ShowSymbol: opts.Bool(true), ConnectNulls: opts.Bool(false)}))
			if s.Area {
				sopts = append(sopts, charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}))
			}
			data := make([]opts.LineData, len(s.Values))
			for i, v := range s.Values {
				data[i] = opts.LineData{Value: value(v)}
			}
			ln.AddSeries(s.Name, data, sopts...)
			lines = append(lines, ln)
		} else {
			bo := opts.BarChart{Stack: s.Stack}
			if !sp.Horizontal {
				bo.YAxisIndex = s.Axis
			}
			sopts = append(sopts, charts.WithBarChartOpts(bo))
			data := make([]opts.BarData, len(s.Values))
			for i, v := range s.Values {
				data[i] = opts.BarData{Value: value(v)}
				if i < len(s.Colors) && s.Colors[i] != "" {
					data[i].ItemStyle = &opts.ItemStyle{Color: s.Colors[i], BorderColor: "#000000", BorderWidth: 1.5}
				}
			}
			bar.AddSeries(s.Name, data, sopts...)
		}
		formats = append(formats, s.Format)
	}
	// Lines come after the bars in the option: reorder the formats alike.
	if len(lines) > 0 {
		var barF, lineF []string
		for i, s := range sp.Series {
			if s.Line {
				lineF = append(lineF, formats[i])
			} else {
				barF = append(barF, formats[i])
			}
		}
		formats = append(barF, lineF...)
		bar.Overlap(lines...)
	}
	bar.Validate()
	opt, err := json.Marshal(bar.JSON())
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", sp.ID, err)
	}
	axes := map[string][]string{}
	for _, ax := range sp.Axes {
		if sp.Horizontal {
			axes["x"] = append(axes["x"], ax.Format)
		} else {
			axes["y"] = append(axes["y"], ax.Format)
		}
	}
	c := &chart{ID: sp.ID, Title: sp.Title, Option: string(opt), Axes: mustJSON(axes), Series: mustJSON(formats), Height: sp.Height, Note: sp.Note}
	if len(sp.Links) > 0 {
		c.Links = mustJSON(sp.Links)
	}
	if c.Height == 0 {
		c.Height = 300
	}
	return c, nil
}

// value is an echarts data value: "-" for a missing one (a NULL rate).
func value(v *float64) any {
	if v == nil {
		return "-"
	}
	return *v
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and slices of strings reach here
	}
	return string(b)
}
