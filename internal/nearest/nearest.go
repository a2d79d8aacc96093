// Package nearest finds the word a person probably meant: the known word
// closest to a mistyped one by edit distance. The config loader uses it for
// unknown keys and the CLI for unknown commands and flags.
package nearest

// Word returns the first of candidates at the smallest edit distance from
// word, if that distance is at most max; "" otherwise.
func Word(word string, candidates []string, max int) string {
	best, bestD := "", max+1
	for _, c := range candidates {
		if d := Distance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
