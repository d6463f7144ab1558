package hookd

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1s", time.Minute: "1m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h",
		90 * time.Minute: "1h30m", time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestScheduleFromStrings(t *testing.T) {
	s, err := ParseSchedule("1m, 5m,30m")
	if err != nil || len(s) != 3 || s[1] != 5*time.Minute {
		t.Fatalf("ParseSchedule = %v, %v", s, err)
	}
	for _, bad := range [][]string{{"soon"}, {"500ms"}, {"8d"}, {"200h"}} {
		if _, err := ScheduleFromStrings(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
	if s, err := ScheduleFromStrings(nil); err != nil || s == nil || len(s) != 0 {
		t.Errorf("an empty list must be a valid schedule of one attempt: %v %v", s, err)
	}
}

func TestNextAttemptAfter(t *testing.T) {
	s := Schedule{time.Minute, time.Hour}
	if w, ok := s.NextAttemptAfter(1, Outcome{}, 0); !ok || w != time.Minute {
		t.Errorf("after attempt 1: %s %v", w, ok)
	}
	if w, ok := s.NextAttemptAfter(2, Outcome{RetryAfter: 2 * time.Hour}, 0); !ok || w != 2*time.Hour {
		t.Errorf("Retry-After later than the schedule must win: %s %v", w, ok)
	}
	if w, ok := s.NextAttemptAfter(2, Outcome{RetryAfter: time.Second}, 0); !ok || w != time.Hour {
		t.Errorf("Retry-After earlier than the schedule must lose: %s %v", w, ok)
	}
	if _, ok := s.NextAttemptAfter(3, Outcome{}, 0); ok {
		t.Error("the schedule is used up after 3 attempts")
	}
	if _, ok := s.NextAttemptAfter(1, Outcome{Success: true}, 0); ok {
		t.Error("a success has no next attempt")
	}
	if w, _ := s.NextAttemptAfter(1, Outcome{}, 0.1); w != 66*time.Second {
		t.Errorf("+10%% jitter on 1m: %s", w)
	}
	if w, _ := s.NextAttemptAfter(1, Outcome{RetryAfter: time.Minute}, -0.1); w != time.Minute {
		t.Errorf("jitter must not bring an attempt before Retry-After: %s", w)
	}
}
