//! A small HTTP server on its own thread and tokio runtime.
//!
//! Tests may be sync or async, and each `#[tokio::test]` has its own runtime
//! that dies with the test; a server living on its own runtime serves all
//! of them and is unaffected. Dropping the runtime on shutdown cancels every
//! open request, including hung ones and long polls, so Drop never waits.

use std::net::SocketAddr;
use std::thread::JoinHandle;

/// A running axum router; stops on Drop.
pub struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Serves `router` on `127.0.0.1:port` (0: a free port). Binding happens
    /// before this returns, so the server accepts connections at once.
    pub fn start(name: &str, port: u16, router: axum::Router) -> ServerThread {
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
                        result = axum::serve(listener, router).into_future() => {
                            if let Err(e) = result {
                                eprintln!("harness server stopped: {e}");
                            }
                        }
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
