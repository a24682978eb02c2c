//! Loopback HTTP servers for tests, each on its own thread and tokio runtime.
//!
//! Tests may be sync or async, and each `#[tokio::test]` has its own runtime
//! that dies with the test; a server living on its own runtime serves all
//! of them and is unaffected. Dropping the runtime on shutdown cancels every
//! open request, including hung ones and long polls, so Drop never waits.
//!
//! Two ways to answer, on the same [`ServerThread`]:
//! - [`ServerThread::start`] serves an axum router: the fake CodePipeline,
//!   the Runtime API, the demo's load balancer.
//! - [`TestServer`] answers each request with a scripted [`Reply`], including
//!   misbehaviour a real framework makes hard (headers that never come, a
//!   body that trickles, 50 MB of body, redirects anywhere), over plain TCP
//!   or TLS with a throwaway self-signed certificate ([`TestCertificate`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A server running on its own thread and runtime; stops on Drop.
pub struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Serves `router` on `127.0.0.1:port` (0: a free port). Binding happens
    /// before this returns, so the server accepts connections at once.
    pub fn start(name: &str, port: u16, router: axum::Router) -> ServerThread {
        let label = name.to_string();
        ServerThread::spawn(name, port, move |listener| async move {
            if let Err(e) = axum::serve(listener, router).await {
                eprintln!("harness server {label} stopped: {e}");
            }
        })
    }

    /// Binds `127.0.0.1:port`, then runs `serve(listener)` on a new thread
    /// with its own runtime until Drop.
    fn spawn<F, Fut>(name: &str, port: u16, serve: F) -> ServerThread
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("{name}: bind 127.0.0.1:{port}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let addr = listener.local_addr().expect("listener address");
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build the server's tokio runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("register the listener with tokio");
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here cancels the remaining connections.
            })
            .expect("start the server thread");
        ServerThread {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The bound address (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks the calling thread until SIGINT or SIGTERM arrives.
    pub fn wait_for_signal(&self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build a runtime for signal handling");
        runtime.block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            let mut terminate = signal(SignalKind::terminate()).expect("install SIGTERM handler");
            let mut interrupt = signal(SignalKind::interrupt()).expect("install SIGINT handler");
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        });
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete answer.
    #[allow(missing_docs)]
    Status {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `302 Found` to `location` (absolute or relative).
    Redirect(String),
    /// Nothing for this long, then `200` with `body`.
    SlowHeaders(Duration, Vec<u8>),
    /// `200` with a `Content-Length` of `total`: `prefix` at once, then one
    /// byte every `every`.
    #[allow(missing_docs)]
    SlowBody {
        prefix: Vec<u8>,
        total: usize,
        every: Duration,
    },
    /// `200` with `total` bytes of body (`prefix`, then `x`s), as fast as
    /// the client reads.
    #[allow(missing_docs)]
    Big { prefix: Vec<u8>, total: usize },
}

impl Reply {
    /// `status` with a text/html body.
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::Status {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.as_bytes().to_vec(),
        }
    }

    /// A 200 page like the calculator's.
    pub fn calculator() -> Reply {
        Reply::html(
            200,
            "<!DOCTYPE html><html><head><title>Simple Calculator Service</title></head><body><h1>Simple Calculator Service</h1></body></html>",
        )
    }

    /// An ALB's 502 while its targets are not ready.
    pub fn bad_gateway() -> Reply {
        Reply::html(
            502,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
        )
    }
}

/// A certificate and key for `localhost` and `127.0.0.1`.
pub struct TestCertificate {
    /// The certificate (self-signed: it is its own CA), PEM.
    pub pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TestCertificate {
    /// A fresh self-signed certificate for `localhost` and `127.0.0.1`.
    pub fn generate() -> TestCertificate {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("generate a self-signed certificate");
        TestCertificate {
            pem: certified.cert.pem(),
            cert_der: certified.cert.der().to_vec(),
            key_der: certified.signing_key.serialize_der(),
        }
    }

    /// Writes the certificate (PEM) into `dir`; returns its path.
    pub fn write_pem(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.pem).expect("write the test certificate");
        path
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .expect("server certificate");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

type Handler = dyn Fn(usize, &str) -> Reply + Send + Sync;

/// A scripted server: each request gets the [`Reply`] a closure picks from
/// its number (counting from 1) and path. One request per connection.
/// Stops on Drop.
pub struct TestServer {
    thread: ServerThread,
    tls: bool,
    requests: Arc<AtomicUsize>,
    body_bytes_sent: Arc<AtomicU64>,
}

impl TestServer {
    /// Serves plain HTTP; `handler(n, path)` picks the reply to request `n`.
    pub fn start(handler: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> TestServer {
        Self::spawn(None, Arc::new(handler))
    }

    /// Serves HTTPS with `certificate`.
    pub fn start_tls(
        certificate: &TestCertificate,
        handler: impl Fn(usize, &str) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        Self::spawn(Some(certificate.acceptor()), Arc::new(handler))
    }

    /// Always answers `reply`.
    pub fn always(reply: Reply) -> TestServer {
        Self::start(move |_, _| reply.clone())
    }

    /// Answers request n with `replies[n - 1]`, the last one repeated.
    pub fn script(replies: Vec<Reply>) -> TestServer {
        assert!(!replies.is_empty(), "a script needs at least one reply");
        Self::start(move |n, _| replies[(n - 1).min(replies.len() - 1)].clone())
    }

    fn spawn(tls: Option<tokio_rustls::TlsAcceptor>, handler: Arc<Handler>) -> TestServer {
        let requests = Arc::new(AtomicUsize::new(0));
        let body_bytes_sent = Arc::new(AtomicU64::new(0));
        let is_tls = tls.is_some();
        let thread = {
            let requests = Arc::clone(&requests);
            let sent = Arc::clone(&body_bytes_sent);
            ServerThread::spawn("test-http-server", 0, move |listener| async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let handler = Arc::clone(&handler);
                    let requests = Arc::clone(&requests);
                    let sent = Arc::clone(&sent);
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            None => serve(stream, &*handler, &requests, &sent).await,
                            Some(acceptor) => {
                                if let Ok(stream) = acceptor.accept(stream).await {
                                    serve(stream, &*handler, &requests, &sent).await
                                }
                            }
                        }
                    });
                }
            })
        };
        TestServer {
            thread,
            tls: is_tls,
            requests,
            body_bytes_sent,
        }
    }

    /// `http://127.0.0.1:PORT` + `path`, or `https://localhost:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        if self.tls {
            format!("https://localhost:{}{path}", self.port())
        } else {
            format!("http://{}{path}", self.thread.addr())
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.thread.addr().port()
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Body bytes written to clients so far (for [`Reply::Big`] and
    /// [`Reply::SlowBody`]).
    pub fn body_bytes_sent(&self) -> u64 {
        self.body_bytes_sent.load(Ordering::SeqCst)
    }
}

/// Reads one request head and answers it; one request per connection.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    handler: &Handler,
    requests: &AtomicUsize,
    sent: &AtomicU64,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
    let reply = handler(n, &path);
    let _ = answer(&mut stream, reply, sent).await;
    let _ = stream.shutdown().await;
}

async fn answer<S: AsyncWrite + Unpin>(
    stream: &mut S,
    reply: Reply,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    match reply {
        Reply::Status {
            status,
            content_type,
            body,
        } => {
            write_head(stream, status, content_type, body.len(), None).await?;
            stream.write_all(&body).await?;
        }
        Reply::Redirect(location) => {
            write_head(stream, 302, "text/plain", 0, Some(&location)).await?;
        }
        Reply::SlowHeaders(delay, body) => {
            tokio::time::sleep(delay).await;
            write_head(stream, 200, "text/html", body.len(), None).await?;
            stream.write_all(&body).await?;
        }
        Reply::SlowBody {
            prefix,
            total,
            every,
        } => {
            write_head(stream, 200, "text/html", total, None).await?;
            stream.write_all(&prefix).await?;
            stream.flush().await?;
            sent.fetch_add(prefix.len() as u64, Ordering::SeqCst);
            for _ in prefix.len()..total {
                tokio::time::sleep(every).await;
                stream.write_all(b"x").await?;
                stream.flush().await?;
                sent.fetch_add(1, Ordering::SeqCst);
            }
        }
        Reply::Big { prefix, total } => {
            write_head(stream, 200, "text/html", total, None).await?;
            stream.write_all(&prefix).await?;
            sent.fetch_add(prefix.len() as u64, Ordering::SeqCst);
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = total.saturating_sub(prefix.len());
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n]).await?;
                sent.fetch_add(n as u64, Ordering::SeqCst);
                left -= n;
            }
        }
    }
    stream.flush().await
}

async fn write_head<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    content_type: &str,
    length: usize,
    location: Option<&str>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Other",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n"
    );
    if let Some(location) = location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await
}
