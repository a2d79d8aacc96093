package config

import (
	"fmt"
	"strconv"
	"strings"
)

// cronField describes one field of a unix-cron schedule, the syntax Cloud
// Scheduler accepts.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day-of-week", min: 0, max: 7, names: strings.Fields("SUN MON TUE WED THU FRI SAT")},
}

// checkCron is a syntax and range check of a 5-field cron expression; the
// scheduler is what finally interprets it.
func checkCron(s string) error {
	fields := strings.Fields(s)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("%q has %d fields, want 5 (minute hour day-of-month month day-of-week)", s, len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].check(f); err != nil {
			return fmt.Errorf("%q: %s field %w", s, cronFields[i].name, err)
		}
	}
	return nil
}

func (c cronField) check(field string) error {
	for _, item := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n <= 0 {
				return fmt.Errorf("%q: bad step %q", field, step)
			}
		}
		if rng == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := c.value(lo)
		if err != nil {
			return fmt.Errorf("%q: %w", field, err)
		}
		if isRange {
			b, err := c.value(hi)
			if err != nil {
				return fmt.Errorf("%q: %w", field, err)
			}
			if b < a {
				return fmt.Errorf("%q: range %s is backwards", field, rng)
			}
		}
	}
	return nil
}

func (c cronField) value(s string) (int, error) {
	for i, n := range c.names {
		if strings.EqualFold(s, n) {
			return c.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < c.min || n > c.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, c.min, c.max)
	}
	return n, nil
}
