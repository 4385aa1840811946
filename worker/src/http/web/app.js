// examq's web page: ExamPaperManager (upload), JobStatusTracker (live jobs) and a paper's result,
// over the HTTP API of `examq serve` (docs/http-api.md). No framework, no build step.
//
// Live updates come from GET /api/events (Server-Sent Events): EventSource reconnects by itself
// and sends Last-Event-ID, so the server replays what changed meanwhile; if the stream is closed
// for good (the server said no, or was away too long), the page opens a new one from the last id
// it saw. A `jobcomplete` event fires once per job that finishes while the page is open, and
// window.examq.onJobComplete, when set, is called with the job: the specified component's hook.

const $ = (sel) => document.querySelector(sel);
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const MAX_FILE_BYTES = 60 * 1024 * 1024;

const state = {
  token: sessionStorage.getItem('examq.token') || '',
  claims: null,
  jobs: new Map(),        // id -> job (the list's fields, merged with every change)
  rows: new Map(),        // id -> <tr>
  estimates: new Map(),   // id -> seconds, from uploads made here
  finished: new Set(),    // ids whose jobcomplete has fired (or that were finished when loaded)
  lastEventId: '',
  source: null,
  paper: null,            // {paperId, jobId} shown in the result view
  batches: new Map(),     // id -> batch (GET /api/batches' fields), the upload view's groups
  batchRefresh: new Map(),  // id -> timer of a pending re-read
};

window.examq = { onJobComplete: null, state };

// ---- API -------------------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) { signOut('Your session has expired or the token was refused.'); throw new Error('unauthorized'); }
  const type = res.headers.get('content-type') || '';
  const body = type.includes('application/json') ? await res.json() : await res.blob();
  if (!res.ok) throw new Error((body && body.error) || `HTTP ${res.status}`);
  return body;
}

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4)));
  } catch { return null; }
}

function isAdmin(c) {
  const m = (c && c.app_metadata) || {};
  return m.role === 'admin' || m.role === 'examq_admin' || m.examq_role === 'admin';
}

// ---- sign-in ---------------------------------------------------------------------------------
function signOut(message) {
  state.token = '';
  sessionStorage.removeItem('examq.token');
  if (state.source) state.source.close();
  state.source = null;
  showSignIn(message);
}

async function showSignIn(message) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== 'signin';
  $('#signin-error').textContent = message || '';
  const res = await fetch('/api/dev-login').catch(() => null);
  $('#dev-login').hidden = !(res && res.ok);
}

function signIn(token) {
  const claims = claimsOf(token.trim());
  if (!claims) { $('#signin-error').textContent = 'That is not a JWT.'; return; }
  state.token = token.trim();
  state.claims = claims;
  sessionStorage.setItem('examq.token', state.token);
  $('#who').textContent = `${isAdmin(claims) ? 'admin' : 'user'} ${claims.sub || ''}`;
  show('jobs');
  loadJobs().then(openStream);
  if (isAdmin(claims)) loadBatches();
}

$('#signin-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('#token').value); });
$('#dev-login').addEventListener('click', async () => {
  const res = await fetch('/api/dev-login', { method: 'POST' });
  if (res.ok) signIn((await res.json()).token);
  else $('#signin-error').textContent = 'Local admin sessions are not enabled on this server.';
});

// ---- views -----------------------------------------------------------------------------------
function show(view) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== `view-${view}`;
  for (const b of document.querySelectorAll('header nav button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  if (view === 'stats') loadStats();
}
for (const b of document.querySelectorAll('header nav button')) b.addEventListener('click', () => show(b.dataset.view));

// ---- jobs ------------------------------------------------------------------------------------
function filters() {
  return { who: $('#f-who').value, status: $('#f-status').value, type: $('#f-type').value.trim() };
}

function visible(job) {
  const f = filters();
  if (f.who === 'mine' && job.created_by && state.claims && job.created_by !== state.claims.sub) return false;
  if (f.status && job.status !== f.status) return false;
  if (f.type && job.job_type !== f.type) return false;
  return true;
}

async function loadJobs() {
  const f = filters();
  const q = new URLSearchParams({ limit: '500' });
  if (f.status) q.set('status', f.status);
  if (f.type) q.set('type', f.type);
  if (f.who === 'mine' && state.claims && state.claims.sub) q.set('creator', state.claims.sub);
  const body = await api(`/api/jobs?${q}`);
  for (const job of body.jobs) {
    state.jobs.set(job.id, Object.assign(state.jobs.get(job.id) || {}, job));
    if (FINISHED.has(job.status)) state.finished.add(job.id);
  }
  renderAll();
}

function renderAll() {
  const tbody = $('#jobs tbody');
  const sorted = [...state.jobs.values()].filter(visible)
    .sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  const frag = document.createDocumentFragment();
  for (const job of sorted) frag.appendChild(row(job));
  tbody.replaceChildren(frag);
}

function seconds(s) {
  if (s < 10) return `${Number(s).toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function elapsed(job) {
  if (!job.started_at) return job.status === 'pending' ? 'waiting' : '';
  const end = job.completed_at ? Date.parse(job.completed_at) : Date.now();
  let text = seconds(Math.max(0, (end - Date.parse(job.started_at)) / 1000));
  const est = state.estimates.get(job.id);
  if (est && !FINISHED.has(job.status)) text += ` of ~${seconds(est)}`;
  return text;
}

function row(job) {
  let tr = state.rows.get(job.id);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.id = job.id;
    tr.innerHTML = '<td class="job"></td><td class="status"></td><td class="progress"><progress max="100"></progress> ' +
      '<span class="pct"></span> <span class="step"></span></td><td class="elapsed"></td><td class="actions"></td>';
    state.rows.set(job.id, tr);
  }
  const cells = tr.children;
  cells[0].textContent = `${job.job_type} ${job.id.slice(0, 8)}`;
  cells[0].title = job.id;
  cells[1].textContent = job.status;
  cells[1].className = `status status-${job.status}`;
  const pct = job.progress_percentage ?? 0;
  const bar = tr.querySelector('progress');
  bar.value = pct;
  bar.setAttribute('aria-label', `${job.job_type} ${job.id.slice(0, 8)} progress`);
  tr.querySelector('.pct').textContent = `${pct}%`;
  tr.querySelector('.step').textContent = job.current_step || '';
  cells[3].textContent = elapsed(job);
  const actions = cells[4];
  actions.replaceChildren();
  if (job.status === 'pending' || job.status === 'processing') actions.appendChild(button('Cancel', () => act(job.id, 'cancel')));
  if (job.status === 'failed' || job.status === 'cancelled') actions.appendChild(button('Retry', () => act(job.id, 'retry')));
  if (job.exam_paper_id && job.status === 'completed') actions.appendChild(button('Questions', () => openPaper(job.exam_paper_id, job.id)));
  if (job.status === 'failed') actions.appendChild(button('Details', () => details(job.id, tr)));
  return tr;
}

function button(label, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', onclick);
  return b;
}

async function act(id, what) {
  try {
    const body = await api(`/api/jobs/${id}/${what}`, { method: 'POST' });
    apply(body.job);
  } catch (e) {
    $('#stream-state').textContent = `${what} failed: ${e.message}`;
  }
}

async function details(id, tr) {
  const job = await api(`/api/jobs/${id}`);
  let box = tr.querySelector('.error');
  if (!box) { box = document.createElement('div'); box.className = 'error'; tr.children[2].appendChild(box); }
  box.textContent = `${job.error_message || ''}${job.error_details ? '\n' + JSON.stringify(job.error_details, null, 2) : ''}`;
}

// A change from the stream (or an action's answer): merge, redraw its row, fire jobcomplete.
function apply(change) {
  const before = state.jobs.get(change.id);
  // An action's answer can arrive after the events it caused: never go back in time.
  if (before && before.updated_at && change.updated_at && Date.parse(change.updated_at) < Date.parse(before.updated_at)) return;
  const job = Object.assign({}, before || {}, change);
  if (!job.created_at) job.created_at = new Date().toISOString();
  if (job.status === 'processing' && !job.started_at) job.started_at = change.updated_at || new Date().toISOString();
  if (FINISHED.has(job.status) && !job.completed_at) job.completed_at = change.updated_at || new Date().toISOString();
  if (!FINISHED.has(job.status)) { state.finished.delete(job.id); job.completed_at = null; }
  state.jobs.set(job.id, job);
  const tr = row(job);
  const tbody = $('#jobs tbody');
  if (visible(job)) { if (!tr.isConnected) tbody.prepend(tr); } else tr.remove();
  if (FINISHED.has(job.status) && !state.finished.has(job.id)) {
    state.finished.add(job.id);
    window.dispatchEvent(new CustomEvent('jobcomplete', { detail: job }));
    if (typeof window.examq.onJobComplete === 'function') window.examq.onJobComplete(job);
  }
}

function openStream() {
  if (state.source) state.source.close();
  const q = new URLSearchParams({ access_token: state.token });
  if (state.lastEventId) q.set('lastEventId', state.lastEventId);
  const source = new EventSource(`/api/events?${q}`);
  state.source = source;
  source.addEventListener('open', () => { $('#stream-state').textContent = 'Live'; });
  source.addEventListener('job', (e) => {
    if (e.lastEventId) state.lastEventId = e.lastEventId;
    const change = JSON.parse(e.data);
    apply(change);
    // A job of a batch shown here moved: re-read the batch's counts (at most twice a second).
    if (change.batch_id && state.batches.has(change.batch_id)) refreshBatch(change.batch_id);
  });
  source.addEventListener('batch', (e) => { refreshBatch(JSON.parse(e.data).batchId); });
  source.addEventListener('delete', (e) => {
    const gone = JSON.parse(e.data);
    if (!gone.ids) { state.jobs.clear(); for (const tr of state.rows.values()) tr.remove(); state.rows.clear(); loadJobs(); return; }
    for (const id of gone.ids) {
      state.jobs.delete(id);
      const tr = state.rows.get(id);
      if (tr) tr.remove();
      state.rows.delete(id);
    }
  });
  source.addEventListener('error', () => {
    $('#stream-state').textContent = 'Reconnecting…';
    // EventSource retries by itself unless the server refused the stream: then start anew.
    if (source.readyState === EventSource.CLOSED && state.source === source && state.token) setTimeout(openStream, 2000);
  });
}

for (const id of ['#f-who', '#f-status']) $(id).addEventListener('change', () => { renderAll(); loadJobs(); });
$('#f-type').addEventListener('change', () => { renderAll(); loadJobs(); });
setInterval(() => {
  for (const [id, tr] of state.rows) {
    const job = state.jobs.get(id);
    if (job && job.status === 'processing' && tr.isConnected) tr.children[3].textContent = elapsed(job);
  }
}, 1000);

// ---- upload ----------------------------------------------------------------------------------
async function looksLikePdf(file) {
  if (!/\.pdf$/i.test(file.name) && file.type !== 'application/pdf') return 'not a PDF (name or type)';
  if (file.size === 0) return 'empty file';
  if (file.size > MAX_FILE_BYTES) return `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`;
  const head = await file.slice(0, 5).text();
  if (head !== '%PDF-') return 'not a PDF (it does not start with %PDF-)';
  return '';
}

function report(text, ok) {
  const li = document.createElement('li');
  li.textContent = text;
  li.className = ok ? 'ok' : 'error';
  $('#upload-results').appendChild(li);
}

// The files that pass the checks here go in one request: one batch (GET /api/batches), shown
// as a group with its progress. The server checks every PDF again and takes all or none.
async function upload(files) {
  const insert = $('#insert').files[0];
  const form = new FormData();
  const sent = [];
  for (const file of files) {
    const problem = await looksLikePdf(file);
    if (problem) { report(`${file.name}: rejected: ${problem}`, false); continue; }
    form.append('file', file, file.name);
    sent.push(file.name);
  }
  if (sent.length === 0) return;
  if (insert) form.append('insert', insert, insert.name);
  if ($('#syllabus').value.trim()) form.append('syllabusId', $('#syllabus').value.trim());
  if ($('#batch-label').value.trim()) form.append('batchLabel', $('#batch-label').value.trim());
  form.append('priority', $('#priority').value);
  try {
    const body = await api('/api/papers', { method: 'POST', body: form });
    for (const p of body.papers) {
      state.estimates.set(p.jobId, p.estimatedTime);
      report(`${p.file}: job ${p.jobId}, ${p.pages} pages, estimated ${seconds(p.estimatedTime)}`, true);
    }
    if (body.batch) refreshBatch(body.batch.id, 0);
  } catch (e) {
    for (const name of sent) report(`${name}: rejected: ${e.message}`, false);
  }
}

// ---- batches ---------------------------------------------------------------------------------
function batchItem(b) {
  let li = document.querySelector(`#batches li[data-id="${b.id}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.id = b.id;
    li.innerHTML = '<div class="label"></div><progress max="100"></progress> <span class="pct"></span>' +
      '<div class="counts"></div>';
  }
  li.className = `state-${b.state}`;
  li.querySelector('.label').textContent = `${b.label || b.id.slice(0, 8)} (${b.state.replace(/_/g, ' ')})`;
  li.querySelector('.label').title = b.id;
  const bar = li.querySelector('progress');
  bar.value = b.progressPercentage;
  bar.setAttribute('aria-label', `batch ${b.label || b.id.slice(0, 8)} progress`);
  li.querySelector('.pct').textContent = `${b.progressPercentage}%`;
  const counts = ['pending', 'processing', 'completed', 'failed', 'cancelled'].filter((k) => b[k] > 0).map((k) => `${b[k]} ${k}`);
  let text = `${b.total} job${b.total === 1 ? '' : 's'}: ${counts.join(', ')}`;
  if (!b.settledAt && b.estimatedSecondsRemaining > 0) text += `; about ${seconds(b.estimatedSecondsRemaining)} left`;
  li.querySelector('.counts').textContent = text;
  return li;
}

function renderBatches() {
  const sorted = [...state.batches.values()].sort((a, b) => (b.createdAt || '').localeCompare(a.createdAt || ''));
  const frag = document.createDocumentFragment();
  for (const b of sorted) frag.appendChild(batchItem(b));
  $('#batches').replaceChildren(frag);
}

async function loadBatches() {
  try {
    const body = await api('/api/batches?limit=20');
    for (const b of body.batches) state.batches.set(b.id, b);
    renderBatches();
  } catch { /* not an admin: no batches to show */ }
}

// Re-reads one batch after `delay` ms, coalescing the changes that arrive meanwhile.
function refreshBatch(id, delay = 500) {
  if (state.batchRefresh.has(id)) return;
  state.batchRefresh.set(id, setTimeout(async () => {
    state.batchRefresh.delete(id);
    try {
      const b = await api(`/api/batches/${id}`);
      delete b.jobs;
      state.batches.set(id, b);
      renderBatches();
    } catch { /* gone, or not ours to see */ }
  }, delay));
}

$('#upload-form').addEventListener('submit', (e) => { e.preventDefault(); upload([...$('#files').files]); });
const drop = $('#drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  $('#files').files = e.dataTransfer.files;
});

// ---- a paper's result ------------------------------------------------------------------------
async function openPaper(paperId, jobId) {
  state.paper = { paperId, jobId };
  show('result');
  $('#questions').replaceChildren();
  $('#pages').replaceChildren();
  $('#review').textContent = '';
  $('#review').className = '';
  const [qs, job] = await Promise.all([api(`/api/papers/${paperId}/questions`), api(`/api/jobs/${jobId}`)]);
  $('#result-title').textContent = `Paper ${paperId.slice(0, 8)}: ${qs.questions.length} questions`;
  const review = job.result && job.result.review;
  if (review) {
    $('#review').className = review.needed ? 'needed' : '';
    $('#review').textContent = review.needed
      ? `Needs review: ${(review.reasons || []).map((r) => (typeof r === 'string' ? r : r.message || r.code || JSON.stringify(r))).join('; ')}`
      : 'No review needed.';
  }
  const frag = document.createDocumentFragment();
  for (const q of qs.questions) {
    const li = document.createElement('li');
    li.innerHTML = '<strong class="num"></strong> <span class="text"></span> <span class="marks"></span>';
    li.querySelector('.num').textContent = q.question_number;
    li.querySelector('.text').textContent = q.text;
    li.querySelector('.marks').textContent = `(${q.marks ?? '?'} marks, page ${q.page_number ?? '?'})`;
    if (q.topics && q.topics.length) {
      const topics = document.createElement('span');
      topics.className = 'topics';
      topics.textContent = q.topics.map((t) => t.code || t.title).join(', ');
      topics.title = q.topics.map((t) => `${t.code ? t.code + ' ' : ''}${t.title}`).join('\n');
      li.appendChild(document.createTextNode(' '));
      li.appendChild(topics);
    }
    frag.appendChild(li);
  }
  $('#questions').appendChild(frag);
  for (let n = 1; n <= 200; n++) {
    let blob;
    try { blob = await api(`/api/papers/${paperId}/pages/${n}`); } catch { break; }
    const img = document.createElement('img');
    img.alt = `Page ${n}`;
    img.src = URL.createObjectURL(blob);
    $('#pages').appendChild(img);
  }
}

async function exportAs(format) {
  if (!state.paper) return;
  const { paperId } = state.paper;
  const body = await api(`/api/papers/${paperId}/questions${format === 'csv' ? '?format=csv' : ''}`);
  const blob = body instanceof Blob ? body : new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `questions-${paperId}.${format}`;
  a.click();
}
$('#back').addEventListener('click', () => show('jobs'));
$('#export-json').addEventListener('click', () => exportAs('json'));
$('#export-csv').addEventListener('click', () => exportAs('csv'));

// ---- statistics ------------------------------------------------------------------------------
const OUTCOMES = [['completed', '#0e7c3a'], ['failed', '#ab091e'], ['cancelled', '#9fb3c8'], ['unfinished', '#2680c2']];

function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function hourChart(hours, since, until) {
  const ns = 'http://www.w3.org/2000/svg';
  const start = Date.parse(since), span = Math.max(1, Math.ceil((Date.parse(until) - start) / 3600000));
  const max = Math.max(1, ...hours.map((h) => h.created));
  const w = 1000, h = 200, bw = w / span;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Jobs created per hour: ${hours.reduce((n, x) => n + x.created, 0)} in ${span} hours, at most ${max} in one hour`);
  for (const hour of hours) {
    const x = Math.floor((Date.parse(hour.hour) - start) / 3600000) * bw;
    let y = h;
    for (const [key, colour] of OUTCOMES) {
      const n = hour[key] || 0;
      if (!n) continue;
      const rect = document.createElementNS(ns, 'rect');
      const height = (h * n) / max;
      y -= height;
      rect.setAttribute('x', x + 1); rect.setAttribute('y', y);
      rect.setAttribute('width', Math.max(1, bw - 2)); rect.setAttribute('height', height);
      rect.setAttribute('fill', colour);
      const title = document.createElementNS(ns, 'title');
      title.textContent = `${new Date(hour.hour).toLocaleString()}: ${n} ${key}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    }
  }
  for (const [label, x] of [[new Date(start).toLocaleString(), 0], [new Date(Date.parse(until)).toLocaleString(), w]]) {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', x); t.setAttribute('y', h + 16);
    t.setAttribute('text-anchor', x ? 'end' : 'start');
    t.setAttribute('font-size', '12');
    t.textContent = label;
    svg.appendChild(t);
  }
  const legend = document.createElement('p');
  legend.className = 'legend';
  for (const [key, colour] of OUTCOMES) {
    const span = document.createElement('span');
    const sw = document.createElement('i');
    sw.style.background = colour;
    span.append(sw, key);
    legend.appendChild(span);
  }
  return [svg, legend];
}

async function loadStats() {
  if (!$('#since').value) {
    // The last 24 hours up to the end of this one (the inputs hold whole minutes: "now" would
    // leave out what happened since the minute began).
    const end = new Date();
    end.setMinutes(60, 0, 0);
    $('#until').value = localInput(end);
    $('#since').value = localInput(new Date(end.getTime() - 24 * 3600000));
  }
  const q = new URLSearchParams({ since: new Date($('#since').value).toISOString(), until: new Date($('#until').value).toISOString() });
  if ($('#s-type').value.trim()) q.set('type', $('#s-type').value.trim());
  let body;
  try {
    body = await api(`/api/stats/history?${q}`);
    $('#stats-error').textContent = '';
  } catch (e) {
    $('#stats-error').textContent = e.message;
    return;
  }
  $('#chart').replaceChildren(...hourChart(body.hours, body.since, body.until));
  const table = document.createElement('table');
  table.innerHTML = '<caption>By job type</caption><thead><tr><th scope="col">Type</th><th scope="col">Total</th>' +
    '<th scope="col">Completed</th><th scope="col">Failed</th><th scope="col">Cancelled</th><th scope="col">Pending</th>' +
    '<th scope="col">Running</th><th scope="col">Median</th><th scope="col">p95</th><th scope="col">Failure rate</th></tr></thead><tbody></tbody>';
  for (const s of body.types) {
    const tr = document.createElement('tr');
    for (const v of [s.job_type ?? 'all types', s.total, s.completed, s.failed, s.cancelled, s.pending, s.processing,
      s.median_seconds == null ? '-' : seconds(s.median_seconds), s.p95_seconds == null ? '-' : seconds(s.p95_seconds),
      s.failure_rate == null ? '-' : `${(100 * s.failure_rate).toFixed(1)}%`]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    }
    table.tBodies[0].appendChild(tr);
  }
  $('#stats').replaceChildren(table);
}
$('#period').addEventListener('submit', (e) => { e.preventDefault(); loadStats(); });

// ---- start -----------------------------------------------------------------------------------
if (state.token) signIn(state.token); else showSignIn();
