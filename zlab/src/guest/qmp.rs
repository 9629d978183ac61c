//! QEMU's machine protocol (QMP) over its unix socket: just enough to save a running guest to a
//! file with `migrate` and to end QEMU.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to the socket QEMU listens on (retrying while QEMU starts, up to `patience`) and
    /// leaves capabilities negotiation, so that commands are accepted.
    pub fn connect(socket: &Path, patience: Duration) -> Result<Qmp> {
        let started = Instant::now();
        let stream = loop {
            match UnixStream::connect(socket) {
                Ok(stream) => break stream,
                Err(_) if started.elapsed() < patience => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(e).with_context(|| format!("connecting to QEMU's QMP at {}", socket.display())),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut qmp = Qmp { reader: BufReader::new(stream.try_clone()?), writer: stream };
        let greeting = qmp.message()?;
        if greeting.get("QMP").is_none() {
            bail!("QEMU's QMP greeted with {greeting}");
        }
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    /// Runs a command and returns its `return`; an `error` is an error. Events are skipped.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value> {
        let request = json!({ "execute": command, "arguments": arguments });
        writeln!(self.writer, "{request}")?;
        loop {
            let reply = self.message()?;
            if let Some(value) = reply.get("return") {
                return Ok(value.clone());
            }
            if let Some(error) = reply.get("error") {
                bail!("QEMU refused {command}: {}", error.get("desc").unwrap_or(error));
            }
        }
    }

    /// Saves the guest's whole state into `file` (a path without spaces or commas, as QEMU's
    /// `file:` URI takes it) and waits until it is written; the guest is stopped then.
    pub fn save_to(&mut self, file: &Path, patience: Duration) -> Result<()> {
        self.execute("migrate", json!({ "uri": format!("file:{}", file.display()) }))?;
        let started = Instant::now();
        loop {
            let state = self.execute("query-migrate", json!({}))?;
            match state.get("status").and_then(Value::as_str) {
                Some("completed") => return Ok(()),
                Some(status @ ("failed" | "cancelled")) => {
                    bail!("saving the guest {status}: {}", state.get("error-desc").unwrap_or(&Value::Null))
                }
                _ if started.elapsed() > patience => bail!("saving the guest took over {} s", patience.as_secs()),
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn message(&mut self) -> Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).context("reading QEMU's QMP")? == 0 {
            bail!("QEMU closed its QMP socket");
        }
        serde_json::from_str(&line).with_context(|| format!("QEMU's QMP said {line:?}"))
    }
}
