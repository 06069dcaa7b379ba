package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/token"
)

// The RealtimeEvent bodies of contract.md section 5. The fields are declared
// in the contract's order so a printed body reads like the contract's table.

type chatMessage struct {
	ID        string   `json:"id"`
	ChatID    int64    `json:"chat_id"`
	SenderID  int64    `json:"sender_id"`
	Content   string   `json:"content"`
	Files     []string `json:"files"`
	Timestamp int64    `json:"timestamp"`
}

type messageReceived struct {
	Message    chatMessage `json:"message"`
	ChatID     int64       `json:"chat_id"`
	Recipients []int64     `json:"recipients"`
}

type messageRead struct {
	MessageID int64  `json:"message_id"`
	ChatID    int64  `json:"chat_id"`
	ReaderID  int64  `json:"reader_id"`
	ReadAt    string `json:"read_at"`
}

type messageUnread struct {
	MessageID int64 `json:"message_id"`
	ChatID    int64 `json:"chat_id"`
	UserID    int64 `json:"user_id"`
}

type typingStarted struct {
	ChatID   int64  `json:"chat_id"`
	UserID   int64  `json:"user_id"`
	UserName string `json:"user_name"`
}

type typingStopped struct {
	ChatID int64 `json:"chat_id"`
	UserID int64 `json:"user_id"`
}

type userPresence struct {
	UserID int64  `json:"user_id"`
	Status string `json:"status"`
	// LastSeen is nil for JSON null, which the contract allows.
	LastSeen *string `json:"last_seen"`
}

type messageDeleted struct {
	MessageID int64  `json:"message_id"`
	ChatID    int64  `json:"chat_id"`
	DeletedBy int64  `json:"deleted_by"`
	DeletedAt string `json:"deleted_at"`
}

// eventFlags are the body fields as publish takes them, one flag per field,
// named after it.
type eventFlags struct {
	chat, message, sender, reader, user, deletedBy int64
	timestamp                                      int64
	recipients                                     idList
	files                                          stringList
	content, name, status                          string
	readAt, deletedAt, lastSeen                    string
	// set holds the names of the flags given on the command line, so a
	// missing field is told apart from a zero one.
	set map[string]bool
}

func (f *eventFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&f.chat, "chat", 0, "chat_id")
	fs.Int64Var(&f.message, "message", 0, "message id (default: a fresh one)")
	fs.Int64Var(&f.sender, "sender", 0, "MessageReceived: sender_id")
	fs.Var(&f.recipients, "recipients", "MessageReceived: user ids, e.g. 1,2,3 (sender included)")
	fs.StringVar(&f.content, "content", "hello from notifyctl", "MessageReceived: content")
	fs.Var(&f.files, "files", "MessageReceived: file paths, comma-separated")
	fs.Int64Var(&f.timestamp, "timestamp", 0, "MessageReceived: unix seconds (default: now)")
	fs.Int64Var(&f.reader, "reader", 0, "MessageRead: reader_id")
	fs.StringVar(&f.readAt, "read-at", "", "MessageRead: RFC 3339 (default: now)")
	fs.Int64Var(&f.user, "user", 0, "MessageUnread, Typing*, UserPresence: user_id")
	fs.StringVar(&f.name, "name", "", `TypingStarted: user_name (default: "User <id>")`)
	fs.StringVar(&f.status, "status", "online", "UserPresence: online, away or offline")
	fs.StringVar(&f.lastSeen, "last-seen", "", "UserPresence: RFC 3339 or null (default: null)")
	fs.Int64Var(&f.deletedBy, "deleted-by", 0, "MessageDeleted: deleted_by")
	fs.StringVar(&f.deletedAt, "deleted-at", "", "MessageDeleted: RFC 3339 (default: now)")
}

// variant says which flags make up one variant's body and on what subject
// it goes.
type variant struct {
	required, optional []string
	subject            func(f eventFlags) string
	body               func(f eventFlags, now time.Time) any
}

func chatSubject(suffix string) func(eventFlags) string {
	return func(f eventFlags) string {
		return fmt.Sprintf("fechatter.realtime.chat.%d%s", f.chat, suffix)
	}
}

var variants = map[string]variant{
	"MessageReceived": {
		required: []string{"chat", "sender", "recipients"},
		optional: []string{"message", "content", "files", "timestamp"},
		subject:  chatSubject(""),
		body: func(f eventFlags, now time.Time) any {
			ts := f.timestamp
			if !f.set["timestamp"] {
				ts = now.Unix()
			}
			files := []string(f.files)
			if files == nil {
				files = []string{} // the contract wants an array, never null
			}
			return messageReceived{
				Message: chatMessage{
					ID: strconv.FormatInt(f.message, 10), ChatID: f.chat,
					SenderID: f.sender, Content: f.content, Files: files, Timestamp: ts,
				},
				ChatID:     f.chat,
				Recipients: f.recipients,
			}
		},
	},
	"MessageRead": {
		required: []string{"chat", "reader"},
		optional: []string{"message", "read-at"},
		subject:  chatSubject(".read"),
		body: func(f eventFlags, now time.Time) any {
			return messageRead{f.message, f.chat, f.reader, orNow(f.readAt, now)}
		},
	},
	"MessageUnread": {
		required: []string{"chat", "user"},
		optional: []string{"message"},
		subject:  chatSubject(".unread"),
		body: func(f eventFlags, _ time.Time) any {
			return messageUnread{f.message, f.chat, f.user}
		},
	},
	"TypingStarted": {
		required: []string{"chat", "user"},
		optional: []string{"name"},
		subject:  chatSubject(".typing"),
		body: func(f eventFlags, _ time.Time) any {
			name := f.name
			if !f.set["name"] {
				name = token.NewUser(f.user, 1).Fullname // what a token for the user says
			}
			return typingStarted{f.chat, f.user, name}
		},
	},
	"TypingStopped": {
		required: []string{"chat", "user"},
		subject:  chatSubject(".typing"),
		body: func(f eventFlags, _ time.Time) any {
			return typingStopped{f.chat, f.user}
		},
	},
	"UserPresence": {
		required: []string{"user"},
		optional: []string{"status", "last-seen"},
		subject: func(f eventFlags) string {
			return fmt.Sprintf("fechatter.realtime.user.%d.presence", f.user)
		},
		body: func(f eventFlags, _ time.Time) any {
			p := userPresence{UserID: f.user, Status: f.status}
			if f.lastSeen != "" && f.lastSeen != "null" {
				p.LastSeen = &f.lastSeen
			}
			return p
		},
	},
	"MessageDeleted": {
		required: []string{"chat", "deleted-by"},
		optional: []string{"message", "deleted-at"},
		subject:  chatSubject(".deleted"),
		body: func(f eventFlags, now time.Time) any {
			return messageDeleted{f.message, f.chat, f.deletedBy, orNow(f.deletedAt, now)}
		},
	},
}

func orNow(rfc3339 string, now time.Time) string {
	if rfc3339 != "" {
		return rfc3339
	}
	return now.UTC().Format(time.RFC3339)
}

// variantNamed accepts a variant name in any case, since it is typed by
// hand, and returns it as the contract spells it.
func variantNamed(name string) (string, error) {
	for v := range variants {
		if strings.EqualFold(v, name) {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown variant %q; one of %s", name, variantList())
}

func variantList() string {
	names := make([]string, 0, len(variants))
	for v := range variants {
		names = append(names, v)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// buildEvent makes the subject and body of one variant from the flags. A
// flag that is required and missing, or that belongs to another variant,
// is an error: a body silently missing a field is the bug being hunted, not
// one to create by accident. freshID supplies the message id when none is
// given.
func buildEvent(name string, f eventFlags, now time.Time, freshID func() int64,
) (subject string, body []byte, err error) {
	v, ok := variants[name]
	if !ok {
		return "", nil, fmt.Errorf("unknown variant %q; one of %s", name, variantList())
	}
	var missing, foreign []string
	for _, r := range v.required {
		if !f.set[r] {
			missing = append(missing, "--"+r)
		}
	}
	for flagName := range f.set {
		if !slices.Contains(v.required, flagName) && !slices.Contains(v.optional, flagName) {
			foreign = append(foreign, "--"+flagName)
		}
	}
	slices.Sort(foreign)
	switch {
	case len(missing) > 0:
		return "", nil, fmt.Errorf("%s needs %s", name, strings.Join(missing, ", "))
	case len(foreign) > 0:
		own := slices.Concat(v.required, v.optional)
		return "", nil, fmt.Errorf("%s has no field for %s; its flags are --%s", name,
			strings.Join(foreign, ", "), strings.Join(own, ", --"))
	}
	// Values are not checked against the contract (a status "busy", a
	// recipients list without the sender): bad input that notify-server must
	// drop is worth publishing too.
	if !f.set["message"] {
		f.message = freshID()
	}
	b, err := json.Marshal(map[string]any{name: v.body(f, now)})
	if err != nil {
		return "", nil, err
	}
	return v.subject(f), b, nil
}

// idList is a flag holding user ids: 1,2,3 or the flag repeated.
type idList []int64

func (l *idList) String() string {
	if l == nil {
		return ""
	}
	return joinIDs(*l)
}

func (l *idList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an id", part)
		}
		*l = append(*l, n)
	}
	return nil
}

// stringList is a flag holding comma-separated strings, or the flag repeated.
type stringList []string

func (l *stringList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *stringList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
