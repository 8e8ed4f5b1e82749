package policies

import "slices"

// ItemCategories maps every item ID of the taxonomy (embedded plus --data)
// to its categories, in the order the taxonomy lists them, so that reports
// can group a flow's items the way the rules speak of them. The map is a
// copy: callers may keep or change it.
func (e *Engine) ItemCategories() map[string][]string {
	out := make(map[string][]string, len(e.cats))
	for k, v := range e.cats {
		out[k] = slices.Clone(v)
	}
	return out
}

// taxonomyCategories reads data.xborder.reference.items: item → [category].
func taxonomyCategories(data map[string]any) map[string][]string {
	out := map[string][]string{}
	ref, _ := data["xborder"].(map[string]any)
	ref, _ = ref["reference"].(map[string]any)
	items, _ := ref["items"].(map[string]any)
	for item, v := range items {
		list, _ := v.([]any)
		cats := make([]string, 0, len(list))
		for _, c := range list {
			if s, ok := c.(string); ok {
				cats = append(cats, s)
			}
		}
		out[item] = cats
	}
	return out
}
