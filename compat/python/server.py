"""Eddy compatibility suite: function server built on the official StateFun Python SDK
(PyPI apache-flink-statefun==3.3.0, served with aiohttp and RequestReplyHandler.handle_async).

The same functions exist in compat/js, compat/go and compat/java; see compat/README.md.

Usage: PORT=8000 .venv/bin/python server.py   (127.0.0.1:$PORT, any path, prints "READY <port>")
"""
import asyncio
import json
import os
import signal
import sys
from datetime import timedelta

from aiohttp import web
from statefun import (BoolType, Context, DoubleType, FloatType, IntType, LongType, Message,
                      RequestReplyHandler, StatefulFunctions, StringType, ValueSpec,
                      egress_message_builder, kafka_egress_message, kinesis_egress_message,
                      make_json_type, message_builder)

GREET_REQUEST_TYPE = make_json_type(typename="example/GreetRequest")
EGRESS_RECORD_TYPE = make_json_type(typename="io.statefun.playground/EgressRecord")
PLAYGROUND_EGRESS = "io.statefun.playground/egress"
SCHEDULE_AND_CANCEL_DELAY_MS = 1000

functions = StatefulFunctions()


def emit(context: Context, topic: str, payload: str):
    context.send_egress(egress_message_builder(target_typename=PLAYGROUND_EGRESS,
                                               value={"topic": topic, "payload": payload},
                                               value_type=EGRESS_RECORD_TYPE))


def self_message(context: Context, value: str):
    return message_builder(target_typename="compat/delayed", target_id=context.address.id,
                           value=value, value_type=StringType)


def compute_greeting(name: str, seen: int) -> str:
    # Same texts as the flink-statefun-playground greeter examples (JavaScript/Python versions).
    templates = ["", "Welcome %s", "Nice to see you again %s", "Third time is a charm %s"]
    if seen < len(templates):
        return templates[seen] % name
    return f"Nice to see you at the {seen}-nth time {name}!"


# 1. playground greeter ------------------------------------------------------------------------
@functions.bind(typename="example/person", specs=[ValueSpec(name="visits", type=IntType)])
def person(context: Context, message: Message):
    visits = (context.storage.visits or 0) + 1
    context.storage.visits = visits
    request = message.as_type(GREET_REQUEST_TYPE)
    request["visits"] = visits
    context.send(message_builder(target_typename="example/greeter", target_id=request["name"],
                                 value=request, value_type=GREET_REQUEST_TYPE))


@functions.bind(typename="example/greeter")
def greeter(context: Context, message: Message):
    request = message.as_type(GREET_REQUEST_TYPE)
    emit(context, "greetings", compute_greeting(request["name"], request["visits"]))


# 2. counter -----------------------------------------------------------------------------------
@functions.bind(typename="compat/counter", specs=[ValueSpec(name="count", type=IntType)])
def counter(context: Context, message: Message):
    count = (context.storage.count or 0) + 1
    context.storage.count = count
    emit(context, "counts", f"{context.address.id}:{count}")


# 3. ttl ---------------------------------------------------------------------------------------
@functions.bind(typename="compat/ttl",
                specs=[ValueSpec(name="seen", type=StringType,
                                 expire_after_write=timedelta(milliseconds=1000))])
def ttl(context: Context, message: Message):
    text = message.as_string()
    if text.startswith("set:"):
        context.storage.seen = text[len("set:"):]
    elif text == "get":
        value = context.storage.seen
        emit(context, "ttl", f"{context.address.id}:{'none' if value is None else value}")


# 4. caller / echo -----------------------------------------------------------------------------
@functions.bind(typename="compat/caller")
def caller(context: Context, message: Message):
    c = context.caller
    if c is None:
        context.send(message_builder(target_typename="compat/echo", target_id=context.address.id,
                                     value="ping", value_type=StringType))
        return
    emit(context, "caller",
         f"{context.address.id}:{message.as_string()} from {c.namespace}/{c.name}/{c.id}")


@functions.bind(typename="compat/echo")
def echo(context: Context, message: Message):
    c = context.caller
    if c is not None:
        context.send(message_builder(target_typename=c.typename, target_id=c.id,
                                     value="pong", value_type=StringType))


# 5. delayed -----------------------------------------------------------------------------------
@functions.bind(typename="compat/delayed")
def delayed(context: Context, message: Message):
    text = message.as_string()
    if text.startswith("schedule:"):
        ms, token = text[len("schedule:"):].split(":", 1)
        context.send_after(timedelta(milliseconds=int(ms)), self_message(context, f"fire:{token}"),
                           cancellation_token=token)
    elif text.startswith("schedule-and-cancel:"):
        token = text[len("schedule-and-cancel:"):]
        context.send_after(timedelta(milliseconds=SCHEDULE_AND_CANCEL_DELAY_MS),
                           self_message(context, f"fire:{token}"), cancellation_token=token)
        context.cancel_delayed_message(token)
    elif text.startswith("cancel:"):
        context.cancel_delayed_message(text[len("cancel:"):])
    elif text.startswith("fire:"):
        emit(context, "delayed", f"{context.address.id}:fired:{text[len('fire:'):]}")


# 6. types -------------------------------------------------------------------------------------
@functions.bind(typename="compat/types", specs=[
    ValueSpec(name="t_bool", type=BoolType),
    ValueSpec(name="t_int", type=IntType),
    ValueSpec(name="t_long", type=LongType),
    ValueSpec(name="t_float", type=FloatType),
    ValueSpec(name="t_double", type=DoubleType),
    ValueSpec(name="t_string", type=StringType),
    ValueSpec(name="z_bool", type=BoolType),
    ValueSpec(name="z_int", type=IntType),
    ValueSpec(name="z_string", type=StringType),
])
def types(context: Context, message: Message):
    text = message.as_string()
    s = context.storage
    if text == "write":
        s.t_bool = True
        s.t_int = 42
        s.t_long = 1234567890123
        s.t_float = 1.5
        s.t_double = 2.25
        s.t_string = "hé"
        s.z_bool = False
        s.z_int = 0
        s.z_string = ""
    elif text == "read":
        out = {
            "bool": s.t_bool, "int": s.t_int, "long": s.t_long, "float": s.t_float,
            "double": s.t_double, "string": s.t_string,
            "zero_bool": s.z_bool, "zero_int": s.z_int, "zero_string": s.z_string,
        }
        emit(context, "types", json.dumps(out, separators=(",", ":"), ensure_ascii=False))


# 7. kafka / kinesis egress --------------------------------------------------------------------
@functions.bind(typename="compat/kafka-egress")
def kafka_egress(context: Context, message: Message):
    value = message.as_string()
    key = context.address.id
    context.send_egress(kafka_egress_message(typename="compat/kafka", topic="out", key=key,
                                             value=value))
    context.send_egress(kinesis_egress_message(typename="compat/kinesis", stream="out",
                                               partition_key=key, value=value))


# 8. slow --------------------------------------------------------------------------------------
@functions.bind(typename="compat/slow", specs=[ValueSpec(name="n", type=IntType)])
async def slow(context: Context, message: Message):
    n = (context.storage.n or 0) + 1
    context.storage.n = n
    await asyncio.sleep(0.3)
    emit(context, "slow", f"{context.address.id}:{n}")


handler = RequestReplyHandler(functions)


async def handle(request: web.Request) -> web.Response:
    body = await request.read()
    try:
        result = await handler.handle_async(body)
    except Exception as e:  # noqa: BLE001 - report and answer 500 like the examples
        print(f"invocation failed: {e!r}", file=sys.stderr, flush=True)
        return web.Response(status=500, text=str(e))
    return web.Response(body=result, content_type="application/octet-stream")


async def main(port: int):
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/{tail:.*}", handle)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    port_env = os.environ.get("PORT", "")
    if not port_env.isdigit():
        print("PORT environment variable is required", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(port_env)))
