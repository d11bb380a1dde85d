// Eddy compatibility suite: function server built on the official StateFun Go SDK
// (github.com/apache/flink-statefun/statefun-sdk-go/v3 v3.3.0, served with net/http).
//
// The same functions exist in compat/js, compat/python and compat/java; see compat/README.md.
//
// Usage: PORT=8000 bin/server   (127.0.0.1:$PORT, every path, prints "READY <port>")
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

type GreetRequest struct {
	Name   string `json:"name"`
	Visits int32  `json:"visits"`
}

type EgressRecord struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
}

const scheduleAndCancelDelay = 1000 * time.Millisecond

var (
	GreetRequestType = statefun.MakeJsonType(statefun.TypeNameFrom("example/GreetRequest"))
	EgressRecordType = statefun.MakeJsonType(statefun.TypeNameFrom("io.statefun.playground/EgressRecord"))
	PlaygroundEgress = statefun.TypeNameFrom("io.statefun.playground/egress")
	GreeterType      = statefun.TypeNameFrom("example/greeter")
	EchoType         = statefun.TypeNameFrom("compat/echo")
	DelayedType      = statefun.TypeNameFrom("compat/delayed")

	Visits = statefun.ValueSpec{Name: "visits", ValueType: statefun.Int32Type}
	Count  = statefun.ValueSpec{Name: "count", ValueType: statefun.Int32Type}
	Seen   = statefun.ValueSpec{Name: "seen", ValueType: statefun.StringType,
		Expiration: statefun.ExpireAfterWrite(1000 * time.Millisecond)}
	N = statefun.ValueSpec{Name: "n", ValueType: statefun.Int32Type}

	TBool   = statefun.ValueSpec{Name: "t_bool", ValueType: statefun.BoolType}
	TInt    = statefun.ValueSpec{Name: "t_int", ValueType: statefun.Int32Type}
	TLong   = statefun.ValueSpec{Name: "t_long", ValueType: statefun.Int64Type}
	TFloat  = statefun.ValueSpec{Name: "t_float", ValueType: statefun.Float32Type}
	TDouble = statefun.ValueSpec{Name: "t_double", ValueType: statefun.Float64Type}
	TString = statefun.ValueSpec{Name: "t_string", ValueType: statefun.StringType}
	ZBool   = statefun.ValueSpec{Name: "z_bool", ValueType: statefun.BoolType}
	ZInt    = statefun.ValueSpec{Name: "z_int", ValueType: statefun.Int32Type}
	ZString = statefun.ValueSpec{Name: "z_string", ValueType: statefun.StringType}
)

func emit(ctx statefun.Context, topic, payload string) {
	ctx.SendEgress(statefun.GenericEgressBuilder{
		Target:    PlaygroundEgress,
		Value:     EgressRecord{Topic: topic, Payload: payload},
		ValueType: EgressRecordType,
	})
}

func stringMsg(target statefun.TypeName, id, value string) statefun.MessageBuilder {
	return statefun.MessageBuilder{
		Target:    statefun.Address{FunctionType: target, Id: id},
		Value:     value,
		ValueType: statefun.StringType,
	}
}

// Same texts as the flink-statefun-playground greeter examples (JavaScript/Python versions).
func computeGreeting(name string, seen int32) string {
	templates := []string{"", "Welcome %s", "Nice to see you again %s", "Third time is a charm %s"}
	if seen >= 0 && seen < int32(len(templates)) {
		return fmt.Sprintf(templates[seen], name)
	}
	return fmt.Sprintf("Nice to see you at the %d-nth time %s!", seen, name)
}

// 1. playground greeter ------------------------------------------------------------------------
func person(ctx statefun.Context, message statefun.Message) error {
	var visits int32
	ctx.Storage().Get(Visits, &visits)
	visits++
	ctx.Storage().Set(Visits, visits)
	var request GreetRequest
	if err := message.As(GreetRequestType, &request); err != nil {
		return fmt.Errorf("failed to deserialize greet request: %w", err)
	}
	request.Visits = visits
	ctx.Send(statefun.MessageBuilder{
		Target:    statefun.Address{FunctionType: GreeterType, Id: request.Name},
		Value:     request,
		ValueType: GreetRequestType,
	})
	return nil
}

func greeter(ctx statefun.Context, message statefun.Message) error {
	var request GreetRequest
	if err := message.As(GreetRequestType, &request); err != nil {
		return fmt.Errorf("failed to deserialize greet request: %w", err)
	}
	emit(ctx, "greetings", computeGreeting(request.Name, request.Visits))
	return nil
}

// 2. counter -----------------------------------------------------------------------------------
func counter(ctx statefun.Context, _ statefun.Message) error {
	var count int32
	ctx.Storage().Get(Count, &count)
	count++
	ctx.Storage().Set(Count, count)
	emit(ctx, "counts", fmt.Sprintf("%s:%d", ctx.Self().Id, count))
	return nil
}

// 3. ttl ---------------------------------------------------------------------------------------
func ttl(ctx statefun.Context, message statefun.Message) error {
	text := message.AsString()
	switch {
	case strings.HasPrefix(text, "set:"):
		ctx.Storage().Set(Seen, strings.TrimPrefix(text, "set:"))
	case text == "get":
		var seen string
		if !ctx.Storage().Get(Seen, &seen) {
			seen = "none"
		}
		emit(ctx, "ttl", fmt.Sprintf("%s:%s", ctx.Self().Id, seen))
	}
	return nil
}

// 4. caller / echo -----------------------------------------------------------------------------
func caller(ctx statefun.Context, message statefun.Message) error {
	c := ctx.Caller()
	if c == nil {
		ctx.Send(stringMsg(EchoType, ctx.Self().Id, "ping"))
		return nil
	}
	emit(ctx, "caller", fmt.Sprintf("%s:%s from %s/%s/%s", ctx.Self().Id, message.AsString(),
		c.FunctionType.GetNamespace(), c.FunctionType.GetType(), c.Id))
	return nil
}

func echo(ctx statefun.Context, _ statefun.Message) error {
	if c := ctx.Caller(); c != nil {
		ctx.Send(stringMsg(c.FunctionType, c.Id, "pong"))
	}
	return nil
}

// 5. delayed -----------------------------------------------------------------------------------
func delayed(ctx statefun.Context, message statefun.Message) error {
	text := message.AsString()
	self := ctx.Self().Id
	switch {
	case strings.HasPrefix(text, "schedule:"):
		parts := strings.SplitN(strings.TrimPrefix(text, "schedule:"), ":", 2)
		if len(parts) != 2 {
			return fmt.Errorf("bad schedule message %q", text)
		}
		ms, err := strconv.Atoi(parts[0])
		if err != nil {
			return err
		}
		token, err := statefun.NewCancellationToken(parts[1])
		if err != nil {
			return err
		}
		ctx.SendAfterWithCancellationToken(time.Duration(ms)*time.Millisecond, token,
			stringMsg(DelayedType, self, "fire:"+parts[1]))
	case strings.HasPrefix(text, "schedule-and-cancel:"):
		raw := strings.TrimPrefix(text, "schedule-and-cancel:")
		token, err := statefun.NewCancellationToken(raw)
		if err != nil {
			return err
		}
		ctx.SendAfterWithCancellationToken(scheduleAndCancelDelay, token,
			stringMsg(DelayedType, self, "fire:"+raw))
		ctx.CancelDelayedMessage(token)
	case strings.HasPrefix(text, "cancel:"):
		token, err := statefun.NewCancellationToken(strings.TrimPrefix(text, "cancel:"))
		if err != nil {
			return err
		}
		ctx.CancelDelayedMessage(token)
	case strings.HasPrefix(text, "fire:"):
		emit(ctx, "delayed", fmt.Sprintf("%s:fired:%s", self, strings.TrimPrefix(text, "fire:")))
	}
	return nil
}

// 6. types -------------------------------------------------------------------------------------
type typesOut struct {
	Bool       *bool    `json:"bool"`
	Int        *int32   `json:"int"`
	Long       *int64   `json:"long"`
	Float      *float32 `json:"float"`
	Double     *float64 `json:"double"`
	String     *string  `json:"string"`
	ZeroBool   *bool    `json:"zero_bool"`
	ZeroInt    *int32   `json:"zero_int"`
	ZeroString *string  `json:"zero_string"`
}

func get[T any](ctx statefun.Context, spec statefun.ValueSpec) *T {
	var v T
	if !ctx.Storage().Get(spec, &v) {
		return nil
	}
	return &v
}

func types(ctx statefun.Context, message statefun.Message) error {
	s := ctx.Storage()
	switch message.AsString() {
	case "write":
		s.Set(TBool, true)
		s.Set(TInt, int32(42))
		s.Set(TLong, int64(1234567890123))
		s.Set(TFloat, float32(1.5))
		s.Set(TDouble, float64(2.25))
		s.Set(TString, "hé")
		s.Set(ZBool, false)
		s.Set(ZInt, int32(0))
		s.Set(ZString, "")
	case "read":
		out := typesOut{
			Bool: get[bool](ctx, TBool), Int: get[int32](ctx, TInt), Long: get[int64](ctx, TLong),
			Float: get[float32](ctx, TFloat), Double: get[float64](ctx, TDouble),
			String: get[string](ctx, TString), ZeroBool: get[bool](ctx, ZBool),
			ZeroInt: get[int32](ctx, ZInt), ZeroString: get[string](ctx, ZString),
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		emit(ctx, "types", string(b))
	}
	return nil
}

// 7. kafka / kinesis egress --------------------------------------------------------------------
func kafkaEgress(ctx statefun.Context, message statefun.Message) error {
	value := message.AsString()
	id := ctx.Self().Id
	ctx.SendEgress(statefun.KafkaEgressBuilder{
		Target: statefun.TypeNameFrom("compat/kafka"), Topic: "out", Key: id, Value: value,
	})
	ctx.SendEgress(statefun.KinesisEgressBuilder{
		Target: statefun.TypeNameFrom("compat/kinesis"), Stream: "out", PartitionKey: id, Value: value,
	})
	return nil
}

// 8. slow --------------------------------------------------------------------------------------
func slow(ctx statefun.Context, _ statefun.Message) error {
	var n int32
	ctx.Storage().Get(N, &n)
	n++
	ctx.Storage().Set(N, n)
	time.Sleep(300 * time.Millisecond)
	emit(ctx, "slow", fmt.Sprintf("%s:%d", ctx.Self().Id, n))
	return nil
}

func main() {
	port, err := strconv.Atoi(os.Getenv("PORT"))
	if err != nil || port <= 0 {
		fmt.Fprintln(os.Stderr, "PORT environment variable is required")
		os.Exit(2)
	}

	builder := statefun.StatefulFunctionsBuilder()
	specs := []statefun.StatefulFunctionSpec{
		{FunctionType: statefun.TypeNameFrom("example/person"), States: []statefun.ValueSpec{Visits},
			Function: statefun.StatefulFunctionPointer(person)},
		{FunctionType: GreeterType, Function: statefun.StatefulFunctionPointer(greeter)},
		{FunctionType: statefun.TypeNameFrom("compat/counter"), States: []statefun.ValueSpec{Count},
			Function: statefun.StatefulFunctionPointer(counter)},
		{FunctionType: statefun.TypeNameFrom("compat/ttl"), States: []statefun.ValueSpec{Seen},
			Function: statefun.StatefulFunctionPointer(ttl)},
		{FunctionType: statefun.TypeNameFrom("compat/caller"), Function: statefun.StatefulFunctionPointer(caller)},
		{FunctionType: EchoType, Function: statefun.StatefulFunctionPointer(echo)},
		{FunctionType: DelayedType, Function: statefun.StatefulFunctionPointer(delayed)},
		{FunctionType: statefun.TypeNameFrom("compat/types"),
			States:   []statefun.ValueSpec{TBool, TInt, TLong, TFloat, TDouble, TString, ZBool, ZInt, ZString},
			Function: statefun.StatefulFunctionPointer(types)},
		{FunctionType: statefun.TypeNameFrom("compat/kafka-egress"), Function: statefun.StatefulFunctionPointer(kafkaEgress)},
		{FunctionType: statefun.TypeNameFrom("compat/slow"), States: []statefun.ValueSpec{N},
			Function: statefun.StatefulFunctionPointer(slow)},
	}
	for _, spec := range specs {
		if err := builder.WithSpec(spec); err != nil {
			log.Fatalf("registering %s: %v", spec.FunctionType, err)
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/", builder.AsHandler()) // "/" matches every path (e.g. /statefun)

	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	server := &http.Server{Handler: mux}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		_ = server.Close()
	}()
	fmt.Printf("READY %d\n", port)
	if err := server.Serve(listener); err != nil && err != http.ErrServerClosed {
		log.Fatalf("serve: %v", err)
	}
}
