package tui

import (
	"fmt"
	"slices"
	"sort"
	"testing"
)

// oldHoldingsOrder is the order refresh produced with sort.SliceStable
// before it moved to slices.SortFunc: the reference the new sort must match.
func oldHoldingsOrder(v *holdingsView) []int {
	rows := v.rows[v.tab]
	idx := make([]int, len(v.idx))
	copy(idx, v.idx)
	slices.Sort(idx)
	col, desc := v.sortCol[v.tab], v.desc[v.tab]
	numeric := v.cols()[col].right
	less := func(a, b int) bool {
		ra, rb := &rows[idx[a]], &rows[idx[b]]
		if numeric {
			if fa, fb := ra.nums[col], rb.nums[col]; fa != fb {
				return fa < fb != desc
			}
		} else if ra.cells[col] != rb.cells[col] {
			return ra.cells[col] < rb.cells[col] != desc
		}
		return idx[a] < idx[b]
	}
	sort.SliceStable(idx, less)
	return idx
}

// TestHoldingsSortMatchesStable checks every column of both tabs, in both
// directions, against the former stable sort.
func TestHoldingsSortMatchesStable(t *testing.T) {
	v := newTestHoldings(3000, 400, 120, 40)
	for _, tab := range []holdingsTab{tabEquities, tabFunds} {
		v.tab = tab
		for col := range v.cols() {
			for _, desc := range []bool{false, true} {
				v.sortCol[tab], v.desc[tab] = col, desc
				v.refresh()
				if want := oldHoldingsOrder(v); !slices.Equal(v.idx, want) {
					t.Fatalf("tab %d col %d desc %v: order differs from the stable sort", tab, col, desc)
				}
			}
		}
	}
}

var holdingsSortSizes = []int{10, 1000, 10000, 100000}

// BenchmarkHoldingsSort is refresh (filter, totals and sort) on the equities
// tab sorted by INVESTED, descending: a numeric key with many ties broken
// by the row index.
func BenchmarkHoldingsSort(b *testing.B) {
	for _, n := range holdingsSortSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := newTestHoldings(n, 0, 120, 40)
			v.sortCol[tabEquities], v.desc[tabEquities] = 4, true
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v.refresh()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

// BenchmarkHoldingsSortStable is the same work with the former
// sort.SliceStable, for comparison.
func BenchmarkHoldingsSortStable(b *testing.B) {
	for _, n := range holdingsSortSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := newTestHoldings(n, 0, 120, 40)
			v.sortCol[tabEquities], v.desc[tabEquities] = 4, true
			v.refresh()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = oldHoldingsOrder(v)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}
