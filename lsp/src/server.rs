//! The server's loop: messages from the editor, checked stories from the checking thread,
//! and the debounce timer, on one thread with `crossbeam_channel::select!`. Requests are
//! answered at once from the files' indexes (kept per file, rebuilt only for the file an
//! edit touched), so a long check never holds up typing, hovering or completing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, after, never, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Exit, LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, PrepareRenameRequest,
    References, RegisterCapability, Rename, Request as _, Shutdown, WorkspaceSymbolRequest,
};
use lsp_types::{
    CompletionResponse, DidChangeWatchedFilesRegistrationOptions, DocumentSymbolResponse,
    FileSystemWatcher, GlobPattern, GotoDefinitionResponse, InitializeParams, LogMessageParams,
    MessageType, PrepareRenameResponse, PublishDiagnosticsParams, Registration, RegistrationParams,
    TextDocumentPositionParams, WorkspaceSymbolResponse,
};
use qnce_load::{Limits, Source as _};
use serde::de::DeserializeOwned;

use crate::check::{self, Checked, Job};
use crate::index::{FileIndex, StoryFiles, normalize};
use crate::overlay::Overlay;
use crate::translations::PoFile;
use crate::{Error, complete, hover, navigate, symbols, uri};

/// How long the editor must be quiet before a story is checked again: typing at speed
/// checks once per pause, not once per key.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// How deep under a workspace folder stories are looked for (workspace symbols).
const FOLDER_DEPTH: usize = 4;

/// What the server knows of one story.
#[derive(Debug, Default)]
struct StoryState {
    /// Its files, as last read (main file first).
    files: Vec<PathBuf>,
    /// When to check it (after an edit, once the debounce has passed).
    due: Option<Instant>,
    /// The generation of the check sent last: only its result is published.
    sent: u64,
    /// The diagnostics last published for it, by file.
    published: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>,
}

pub(crate) struct Server {
    connection: Connection,
    overlay: Overlay,
    /// Each file's index, as the editor has it (buffer) or as on disk.
    files: HashMap<PathBuf, Arc<FileIndex>>,
    /// The stories known, by main file.
    stories: BTreeMap<PathBuf, StoryState>,
    jobs: Sender<Job>,
    results: Receiver<Checked>,
    generation: u64,
    limits: Limits,
}

impl Server {
    /// Answers `initialize` and returns the server, ready to [`run`](Server::run).
    pub(crate) fn start(connection: Connection) -> Result<Server, Error> {
        let (id, params) = connection.initialize_start()?;
        let params: InitializeParams = serde_json::from_value(params)?;
        connection.initialize_finish(
            id,
            serde_json::json!({
                "capabilities": capabilities(),
                "serverInfo": { "name": "qnce", "version": env!("CARGO_PKG_VERSION") },
            }),
        )?;
        let (results_tx, results) = crossbeam_channel::unbounded();
        let jobs = check::spawn(results_tx)?;
        let mut server = Server {
            connection,
            overlay: Overlay::default(),
            files: HashMap::new(),
            stories: BTreeMap::new(),
            jobs,
            results,
            generation: 0,
            limits: Limits::default(),
        };
        server.watch_files(&params)?;
        #[expect(
            deprecated,
            reason = "`root_uri` is what older clients send instead of workspace folders"
        )]
        let folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .map(|f| &f.uri)
            .chain(params.root_uri.as_ref())
            .filter_map(uri::to_path)
            .collect();
        for folder in folders {
            for main in find_stories(&folder, FOLDER_DEPTH) {
                server.stories.entry(main).or_default();
            }
        }
        Ok(server)
    }

    /// Serves until the editor shuts the server down or goes away.
    pub(crate) fn run(mut self) -> Result<(), Error> {
        let mut shut_down = false;
        loop {
            let timer = match self.stories.values().filter_map(|s| s.due).min() {
                Some(due) => after(due.saturating_duration_since(Instant::now())),
                None => never(),
            };
            let mut checker_gone = false;
            select! {
                recv(self.connection.receiver) -> message => {
                    // The editor went away without a word.
                    let Ok(message) = message else { return Ok(()) };
                    match message {
                        Message::Request(r) if r.method == Shutdown::METHOD => {
                            shut_down = true;
                            self.send(Message::Response(Response::new_ok(r.id, ())))?;
                        }
                        Message::Request(r) if shut_down => {
                            self.send(Message::Response(Response::new_err(
                                r.id,
                                ErrorCode::InvalidRequest as i32,
                                "the server is shutting down".to_owned(),
                            )))?;
                        }
                        Message::Request(request) => self.request(request)?,
                        Message::Notification(n) if n.method == Exit::METHOD => {
                            return if shut_down { Ok(()) } else { Err(Error::ExitWithoutShutdown) };
                        }
                        Message::Notification(n) => {
                            let what = format!("on `{}`", n.method);
                            self.guarded(&what, |s| s.notification(n))?;
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(self.results) -> checked => match checked {
                    Ok(checked) => {
                        if let Some(sent) = self.guarded("publishing diagnostics", |s| s.publish(checked))? {
                            sent?;
                        }
                    }
                    Err(_) => checker_gone = true,
                },
                recv(timer) -> _ => {
                    if self.guarded("reading a story to check", Self::send_due)?.is_none() {
                        // Nothing is due any more: a story that keeps failing is not retried
                        // in a loop.
                        for state in self.stories.values_mut() {
                            state.due = None;
                        }
                    }
                }
            }
            if checker_gone {
                // Only a bug ends the checking thread: say so once and stop listening to it.
                self.results = never();
                self.log(
                    MessageType::ERROR,
                    "qnce lsp: the checking thread stopped; diagnostics are no longer updated"
                        .to_owned(),
                )?;
            }
        }
    }

    /// Runs `work`, catching a panic (a bug) so that the server goes on, and logs it as
    /// failing `what`; `None` when it panicked.
    fn guarded<T>(
        &mut self,
        what: &str,
        work: impl FnOnce(&mut Self) -> T,
    ) -> Result<Option<T>, Error> {
        match catch_unwind(AssertUnwindSafe(|| work(self))) {
            Ok(done) => Ok(Some(done)),
            Err(_) => {
                self.log(
                    MessageType::ERROR,
                    format!("qnce lsp failed {what} (a bug)"),
                )?;
                Ok(None)
            }
        }
    }

    /// Logs a message in the editor's log of the server.
    fn log(&self, typ: MessageType, message: String) -> Result<(), Error> {
        self.send(Message::Notification(Notification::new(
            LogMessage::METHOD.to_owned(),
            LogMessageParams { typ, message },
        )))
    }

    /// Asks the editor to tell of story files changed outside it (a `git checkout`), when
    /// it can.
    fn watch_files(&self, params: &InitializeParams) -> Result<(), Error> {
        let dynamic = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return Ok(());
        }
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: ["**/*.ron", "**/*.po"]
                .into_iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob.to_owned()),
                    kind: None,
                })
                .collect(),
        };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "qnce-story-files".to_owned(),
                method: DidChangeWatchedFiles::METHOD.to_owned(),
                register_options: Some(serde_json::to_value(options)?),
            }],
        };
        self.send(Message::Request(Request::new(
            RequestId::from("qnce-register".to_owned()),
            RegisterCapability::METHOD.to_owned(),
            params,
        )))
    }

    fn send(&self, message: Message) -> Result<(), Error> {
        self.connection
            .sender
            .send(message)
            .map_err(|_| Error::Disconnected)
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    self.set_text(&path, Arc::from(p.text_document.text));
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    let mut text = self
                        .overlay
                        .buffer(&path)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    for change in p.content_changes {
                        apply_change(&mut text, change);
                    }
                    self.set_text(&path, Arc::from(text));
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    self.touched(&path);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    self.overlay.close(&path);
                    self.files.remove(&normalize(&path));
                    let _ = self.forget_lapsed_stories();
                    self.touched(&path);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<lsp_types::DidChangeWatchedFilesParams>(n.params) {
                    for change in p.changes {
                        let Some(path) = uri::to_path(&change.uri) else {
                            continue;
                        };
                        if self.overlay.buffer(&path).is_none() {
                            self.files.remove(&normalize(&path));
                        }
                        self.touched(&path);
                    }
                    let _ = self.forget_lapsed_stories();
                }
            }
            _ => {}
        }
    }

    /// The editor's text of `path` changed: index it again and check its story soon.
    fn set_text(&mut self, path: &Path, text: Arc<str>) {
        let path = normalize(path);
        self.overlay.open(&path, text.clone());
        self.files
            .insert(path.clone(), Arc::new(FileIndex::new(path.clone(), text)));
        let _ = self.forget_lapsed_stories();
        self.touched(&path);
    }

    /// Schedules a check of every story `path` belongs to (or would start).
    fn touched(&mut self, path: &Path) {
        let path = normalize(path);
        let mut mains: Vec<PathBuf> = self
            .stories
            .iter()
            .filter(|(main, s)| **main == path || s.files.contains(&path))
            .map(|(main, _)| main.clone())
            .collect();
        // A file that is gone starts no story.
        if mains.is_empty()
            && self.overlay.is_file(&path)
            && let Some(main) = self.main_of(&path)
        {
            mains.push(main);
        }
        let due = Instant::now() + DEBOUNCE;
        for main in mains {
            self.stories.entry(main).or_default().due = Some(due);
        }
    }

    /// Sends the stories whose debounce has passed to the checking thread.
    fn send_due(&mut self) {
        let now = Instant::now();
        let due: Vec<PathBuf> = self
            .stories
            .iter()
            .filter(|(_, s)| s.due.is_some_and(|d| d <= now))
            .map(|(main, _)| main.clone())
            .collect();
        for main in due {
            let story = self.story(&main);
            self.generation += 1;
            let generation = self.generation;
            let state = self.stories.entry(main.clone()).or_default();
            state.due = None;
            state.sent = generation;
            state.files = story.files.iter().map(|f| f.path.clone()).collect();
            let job = Job {
                main,
                generation,
                overlay: self.overlay.clone(),
            };
            // The thread ends only with the server.
            let _ = self.jobs.send(job);
        }
    }

    /// Publishes a checked story's diagnostics, clearing files that have none now; a check
    /// overtaken by a later edit is dropped.
    fn publish(&mut self, checked: Checked) -> Result<(), Error> {
        let Some(state) = self.stories.get(&checked.main) else {
            return Ok(());
        };
        if checked.generation != state.sent {
            return Ok(());
        }
        let files = match checked.files {
            Ok(files) => files,
            Err(failure) => return self.log(MessageType::ERROR, failure),
        };
        let n: usize = files.values().map(Vec::len).sum();
        self.log(
            MessageType::LOG,
            format!(
                "checked {}: {n} diagnostic(s) in {:.1} ms",
                checked.main.display(),
                checked.elapsed.as_secs_f64() * 1e3
            ),
        )?;
        let Some(state) = self.stories.get_mut(&checked.main) else {
            return Ok(());
        };
        // Files that had diagnostics and have none now are cleared; open files of the
        // story hear that they have none too.
        let mut touched: BTreeSet<PathBuf> = state.published.keys().cloned().collect();
        touched.extend(files.keys().cloned());
        touched.extend(
            state
                .files
                .iter()
                .filter(|f| self.overlay.buffer(f).is_some())
                .cloned(),
        );
        state.published = files;
        self.republish(touched)
    }

    /// Publishes the diagnostics of each of `paths`: those of every story that has the
    /// file (a chapter two stories include hears from both).
    fn republish(&self, paths: BTreeSet<PathBuf>) -> Result<(), Error> {
        for path in paths {
            let Some(uri) = uri::from_path(&path) else {
                continue;
            };
            let mut diagnostics: Vec<lsp_types::Diagnostic> = Vec::new();
            for d in self
                .stories
                .values()
                .filter_map(|s| s.published.get(&path))
                .flatten()
            {
                // Two stories that share a file both report its own mistakes.
                if !diagnostics.contains(d) {
                    diagnostics.push(d.clone());
                }
            }
            let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
            self.send(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.to_owned(),
                params,
            )))?;
        }
        Ok(())
    }

    /// Forgets stories whose main file is gone, or has become an include (a copy of
    /// `story.ron` turned into a chapter), clearing what was published for them. A main
    /// file that merely does not read now (a typo at its top) stays a story.
    fn forget_lapsed_stories(&mut self) -> Result<(), Error> {
        let lapsed: Vec<PathBuf> = self
            .stories
            .keys()
            .filter(|main| {
                !self.overlay.is_file(main)
                    || (main.file_name().is_none_or(|n| n != "story.ron")
                        && self.files.get(*main).is_some_and(|f| f.is_include()))
            })
            .cloned()
            .collect();
        for main in lapsed {
            if let Some(state) = self.stories.remove(&main) {
                self.republish(state.published.into_keys().collect())?;
            }
        }
        Ok(())
    }

    /// The index of `path`: the editor's buffer, else the file (`None` when it cannot be
    /// read).
    fn file(&mut self, path: &Path) -> Option<Arc<FileIndex>> {
        let path = normalize(path);
        let open = self.overlay.buffer(&path).is_some();
        if let Some(file) = self.files.get(&path)
            && (open || file.stamp == stamp(&path))
        {
            return Some(file.clone());
        }
        // A file not open is read again when it changed on disk since (a `git checkout`
        // the editor did not report): a rename must not edit offsets of an old text.
        let stamp = if open { None } else { stamp(&path) };
        let text = self.overlay.text(&path, self.limits.max_file_bytes)?;
        let mut file = FileIndex::new(path.clone(), text);
        file.stamp = stamp;
        let file = Arc::new(file);
        self.files.insert(path, file.clone());
        Some(file)
    }

    /// The main file of the story `path` belongs to: a known story that has it, the file
    /// itself when it is a `Story(…)`, else the nearest `story.ron` above it.
    fn main_of(&mut self, path: &Path) -> Option<PathBuf> {
        let path = normalize(path);
        if let Some((main, _)) = self.stories.iter().find(|(_, s)| s.files.contains(&path)) {
            return Some(main.clone());
        }
        let named_main = path.file_name().is_some_and(|n| n == "story.ron");
        if named_main || self.file(&path).is_some_and(|f| f.is_main()) {
            return Some(path);
        }
        path.ancestors()
            .skip(1)
            .map(|dir| dir.join("story.ron"))
            .find(|candidate| self.overlay.is_file(candidate))
    }

    /// The files of the story whose main file is `main`: it and its includes, as far as
    /// they can be read, within the load limits.
    fn story(&mut self, main: &Path) -> StoryFiles {
        let root = main.parent().unwrap_or(Path::new("/")).to_owned();
        let mut files = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([normalize(main)]);
        while let Some(path) = queue.pop_front() {
            if files.len() >= self.limits.max_files || !seen.insert(path.clone()) {
                continue;
            }
            let Some(file) = self.file(&path) else {
                continue;
            };
            queue.extend(
                file.includes
                    .iter()
                    .map(|(inc, _)| normalize(&root.join(inc))),
            );
            files.push(file);
        }
        let locales = root.join("locales");
        let translations = self
            .overlay
            .files_in(&locales)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "po"))
            .filter_map(|path| {
                let text = self.overlay.text(&path, self.limits.max_file_bytes)?;
                Some(PoFile { path, text })
            })
            .collect();
        StoryFiles {
            main: normalize(main),
            files,
            translations,
        }
    }

    /// The story and file a request is about, and the byte offset of its position.
    fn at(
        &mut self,
        at: &TextDocumentPositionParams,
    ) -> Option<(StoryFiles, Arc<FileIndex>, usize)> {
        let path = uri::to_path(&at.text_document.uri)?;
        let file = self.file(&path)?;
        let mut story = match self.main_of(&path) {
            Some(main) => self.story(&main),
            None => StoryFiles {
                main: path,
                files: Vec::new(),
                translations: Vec::new(),
            },
        };
        // A draft not included yet is still searched and renamed in.
        if !story.files.iter().any(|f| f.path == file.path) {
            story.files.push(file.clone());
        }
        let offset = file.lines.offset(&file.text, at.position);
        Some((story, file, offset))
    }

    fn request(&mut self, request: Request) -> Result<(), Error> {
        let id = request.id.clone();
        let method = request.method.clone();
        let response =
            catch_unwind(AssertUnwindSafe(|| self.respond(request))).unwrap_or_else(|_| {
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!("qnce lsp failed on `{method}` (a bug)"),
                )
            });
        self.send(Message::Response(response))
    }

    fn respond(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            GotoDefinition::METHOD => {
                self.answer(request, |s, p: lsp_types::GotoDefinitionParams| {
                    let (story, file, offset) = s.at(&p.text_document_position_params)?;
                    Some(GotoDefinitionResponse::Array(navigate::definition(
                        &story, &file, offset,
                    )))
                })
            }
            References::METHOD => self.answer(request, |s, p: lsp_types::ReferenceParams| {
                let (story, file, offset) = s.at(&p.text_document_position)?;
                Some(navigate::references(
                    &story,
                    &file,
                    offset,
                    p.context.include_declaration,
                ))
            }),
            Completion::METHOD => self.answer(request, |s, p: lsp_types::CompletionParams| {
                let (story, file, offset) = s.at(&p.text_document_position)?;
                Some(CompletionResponse::Array(complete::complete(
                    &story, &file, offset,
                )))
            }),
            HoverRequest::METHOD => self.answer(request, |s, p: lsp_types::HoverParams| {
                let (story, file, offset) = s.at(&p.text_document_position_params)?;
                hover::hover(&story, &file, offset)
            }),
            DocumentSymbolRequest::METHOD => {
                self.answer(request, |s, p: lsp_types::DocumentSymbolParams| {
                    let path = uri::to_path(&p.text_document.uri)?;
                    let file = s.file(&path)?;
                    Some(DocumentSymbolResponse::Nested(symbols::document_symbols(
                        &file,
                    )))
                })
            }
            WorkspaceSymbolRequest::METHOD => {
                self.answer(request, |s, p: lsp_types::WorkspaceSymbolParams| {
                    let mains: Vec<PathBuf> = s.stories.keys().cloned().collect();
                    let stories: Vec<StoryFiles> = mains.iter().map(|m| s.story(m)).collect();
                    Some(WorkspaceSymbolResponse::Nested(symbols::workspace_symbols(
                        &stories, &p.query,
                    )))
                })
            }
            PrepareRenameRequest::METHOD => {
                self.fallible(request, |s, p: TextDocumentPositionParams| {
                    let (story, file, offset) = s.at(&p).ok_or("not a story file")?;
                    let (_, range) = navigate::prepare_rename(&story, &file, offset)?;
                    Ok(PrepareRenameResponse::Range(range))
                })
            }
            Rename::METHOD => self.fallible(request, |s, p: lsp_types::RenameParams| {
                let (story, file, offset) =
                    s.at(&p.text_document_position).ok_or("not a story file")?;
                let (edit, warning) = navigate::rename(&story, &file, offset, &p.new_name)?;
                if let Some(message) = warning {
                    let shown = lsp_types::ShowMessageParams {
                        typ: MessageType::WARNING,
                        message,
                    };
                    let _ = s.send(Message::Notification(Notification::new(
                        lsp_types::notification::ShowMessage::METHOD.to_owned(),
                        shown,
                    )));
                }
                Ok(edit)
            }),
            _ => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("qnce lsp does not handle `{}`", request.method),
            ),
        }
    }

    /// Answers a request whose answer may be empty (`null`).
    fn answer<P: DeserializeOwned, R: serde::Serialize>(
        &mut self,
        request: Request,
        handle: impl FnOnce(&mut Self, P) -> Option<R>,
    ) -> Response {
        match serde_json::from_value::<P>(request.params) {
            Ok(p) => Response::new_ok(request.id, handle(self, p)),
            Err(e) => invalid_params(request.id, &e),
        }
    }

    /// Answers a request that may fail with a message for the author (a rename refused).
    fn fallible<P: DeserializeOwned, R: serde::Serialize>(
        &mut self,
        request: Request,
        handle: impl FnOnce(&mut Self, P) -> Result<R, String>,
    ) -> Response {
        match serde_json::from_value::<P>(request.params) {
            Ok(p) => match handle(self, p) {
                Ok(r) => Response::new_ok(request.id, r),
                Err(message) => {
                    Response::new_err(request.id, ErrorCode::RequestFailed as i32, message)
                }
            },
            Err(e) => invalid_params(request.id, &e),
        }
    }
}

fn invalid_params(id: RequestId, e: &serde_json::Error) -> Response {
    Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string())
}

fn params<P: DeserializeOwned>(value: serde_json::Value) -> Option<P> {
    serde_json::from_value(value).ok()
}

/// Applies one change the editor sent: a range replaced, or the whole text.
fn apply_change(text: &mut String, change: lsp_types::TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let lines = crate::lines::LineIndex::new(text);
    let start = lines.offset(text, range.start);
    let end = lines.offset(text, range.end).max(start);
    text.replace_range(start..end, &change.text);
}

/// When a file was last modified, and its length: what tells an index of it out of date.
fn stamp(path: &Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// What the server can do.
fn capabilities() -> lsp_types::ServerCapabilities {
    use lsp_types::{
        CompletionOptions, HoverProviderCapability, OneOf, PositionEncodingKind, RenameOptions,
        SaveOptions, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
        TextDocumentSyncSaveOptions,
    };
    lsp_types::ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["\"", "'", "{", "("].map(str::to_owned).to_vec()),
            ..CompletionOptions::default()
        }),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        ..lsp_types::ServerCapabilities::default()
    }
}

/// The `story.ron` files under `folder`, at most `depth` directories down (hidden
/// directories and `target` left out).
fn find_stories(folder: &Path, depth: usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![(folder.to_owned(), 0)];
    while let Some((dir, level)) = dirs.pop() {
        let main = dir.join("story.ron");
        if main.is_file() {
            found.push(main);
        }
        if level == depth {
            continue;
        }
        for sub in qnce_load::FileSystem.dirs_in(&dir) {
            let name = sub.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_some_and(|n| !n.starts_with('.') && n != "target") {
                dirs.push((sub, level + 1));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

    #[test]
    fn changes_apply_in_utf16_ranges() {
        let mut text = "é𝄞 to: \"a\"\nnext".to_owned();
        let change =
            |start: (u32, u32), end: (u32, u32), with: &str| TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(start.0, start.1),
                    Position::new(end.0, end.1),
                )),
                range_length: None,
                text: with.to_owned(),
            };
        // `é` is one unit, `𝄞` two: `"a"` starts at unit 8.
        apply_change(&mut text, change((0, 9), (0, 10), "river"));
        assert_eq!(text, "é𝄞 to: \"river\"\nnext");
        apply_change(&mut text, change((1, 0), (1, 4), "call"));
        assert_eq!(text, "é𝄞 to: \"river\"\ncall");
    }
}
