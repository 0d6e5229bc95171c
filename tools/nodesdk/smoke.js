#!/usr/bin/env node
// Runs Mangopay's official Node SDK (mangopay2-nodejs-sdk, pinned in
// package.json) unchanged against a Mangopay API on a loopback address -- in
// practice our fake, pkg/mangopay/mangopaytest -- through one marketplace
// story, and prints ONE JSON object on stdout describing what it observed.
//
// Usage:
//   node tools/nodesdk/smoke.js BASE_URL CLIENT_ID API_KEY [--fake-controls]
// or with MANGOPAY_BASE_URL, MANGOPAY_CLIENT_ID, MANGOPAY_API_KEY (and
// MANGOPAY_FAKE_CONTROLS=1) in the environment.
//
// --fake-controls lets the story use the fake's /__fake/ test controls (same
// host) where the real API would need a human: settling the KYC review so the
// owner becomes REGULAR, and settling the payout.
//
// Exit status: 0 when every step gave the expected result, 1 when one did not,
// 2 on bad usage or when the whole story did not finish in time.
//
// Safety: only loopback base URLs are accepted, and every HTTP request the
// SDK (axios) or this script (fetch) makes is checked against the base URL's
// origin before it leaves; the hook receiver listens on 127.0.0.1 only.
'use strict';

const crypto = require('crypto');
const http = require('http');
const path = require('path');

const WATCHDOG_MS = Number(process.env.SMOKE_TIMEOUT_MS || 45000);
const STEP_MS = Number(process.env.SMOKE_STEP_TIMEOUT_MS || 15000);
const started = Date.now();

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const positional = argv.filter((a) => !a.startsWith('--'));
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const baseUrl = String(positional[0] || process.env.MANGOPAY_BASE_URL || '').replace(/\/+$/, '');
const clientId = positional[1] || process.env.MANGOPAY_CLIENT_ID || '';
const apiKey = positional[2] || process.env.MANGOPAY_API_KEY || '';
const fakeControls = flags.has('--fake-controls') || process.env.MANGOPAY_FAKE_CONTROLS === '1';

const out = {
  ok: false,
  sdk: null,
  node: process.version,
  baseUrl,
  clientId,
  fakeControls,
  steps: [],
  ids: {},
  statuses: {},
  balances: {},
  amounts: {},
  observed: {},
  idempotency: {},
  hookDeliveries: [],
  tokenCalls: 0,
  requests: [],
  sdkErrors: [],
  errors: [],
  durationMs: 0,
};

let finished = false;
function finish(code) {
  if (finished) return;
  finished = true;
  out.durationMs = Date.now() - started;
  out.tokenCalls = out.requests.filter((r) => r.token).length;
  const line = JSON.stringify(out) + '\n';
  process.stdout.write(line, () => process.exit(code));
}

function usage(msg) {
  out.errors.push(msg);
  process.stderr.write(
    'usage: node smoke.js BASE_URL CLIENT_ID API_KEY [--fake-controls]\n' +
      '   or: MANGOPAY_BASE_URL=... MANGOPAY_CLIENT_ID=... MANGOPAY_API_KEY=... node smoke.js\n' +
      msg + '\n'
  );
  finish(2);
}

let base;
try {
  base = new URL(baseUrl);
} catch (e) {
  base = null;
}
const loopback = (h) => h === 'localhost' || h === '[::1]' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);

// ------------------------------------------------------------------ helpers

class Unexpected extends Error {}

function expect(cond, msg) {
  if (!cond) throw new Unexpected(msg);
}

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Unexpected(`${what}: got ${a}, want ${e}`);
}

function need(value, what) {
  if (value === undefined || value === null || value === '') {
    throw new Unexpected(`not run: needs ${what} from an earlier step`);
  }
  return value;
}

// describe turns what the SDK rejected with into something JSON-friendly:
// an Error, or the API's error body (the SDK rejects with the parsed body).
function describe(e) {
  if (e instanceof Unexpected) return { unexpected: e.message };
  if (e instanceof Error) return { exception: e.message, code: e.code };
  if (e && typeof e === 'object') {
    const d = { apiError: true };
    for (const k of ['Type', 'Message', 'Id', 'errors', 'Errors', 'error', 'error_description']) {
      if (e[k] !== undefined) d[k] = e[k];
    }
    return d;
  }
  return { value: String(e) };
}

function lastRequest() {
  return out.requests[out.requests.length - 1];
}

async function step(name, fn) {
  const rec = { name, ok: false };
  out.steps.push(rec);
  const t0 = Date.now();
  const n0 = out.requests.length;
  let timer;
  try {
    // A call whose connection dies after the token was obtained never
    // settles in this SDK (its error path throws on the missing response),
    // so every step has its own deadline.
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Unexpected(`step did not finish within ${STEP_MS} ms`)), STEP_MS);
    });
    const r = await Promise.race([fn(), deadline]);
    rec.ok = true;
    if (r !== undefined) rec.observed = r;
  } catch (e) {
    rec.error = describe(e);
    const last = out.requests.length > n0 ? lastRequest() : null;
    if (last) rec.lastRequest = `${last.method} ${last.path} -> ${last.status}`;
  }
  clearTimeout(timer);
  rec.ms = Date.now() - t0;
  rec.requests = out.requests.length - n0;
}

function money(amount) {
  return { Currency: 'EUR', Amount: amount };
}

// A card expiry date (MMYY) three years from now.
function futureExpiry() {
  const d = new Date();
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const yy = String((d.getUTCFullYear() + 3) % 100).padStart(2, '0');
  return mm + yy;
}

// A PDF of 40 KiB made in memory: a valid header, comment padding, an EOF
// marker. Mangopay wants at least 32 KB for an IDENTITY_PROOF page.
function fakePdf() {
  const head = Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n', 'latin1');
  const size = 40 * 1024;
  const line = '% lambda-mangopay nodesdk smoke padding ..........................\n';
  let pad = '';
  while (head.length + pad.length + tail.length < size) pad += line;
  pad = pad.slice(0, size - head.length - tail.length);
  return Buffer.concat([head, Buffer.from(pad, 'latin1'), tail]);
}

// ----------------------------------------------------------------- the story

async function main() {
  if (!base || !/^https?:$/.test(base.protocol)) return usage(`bad base URL ${JSON.stringify(baseUrl)}`);
  if (!loopback(base.hostname)) return usage(`refusing non-loopback base URL ${baseUrl}: this check only talks to a local fake`);
  if (!clientId || !apiKey) return usage('missing client id or API key');

  let mangopay;
  let axios;
  try {
    mangopay = require('mangopay2-nodejs-sdk');
    const sdkDir = path.dirname(require.resolve('mangopay2-nodejs-sdk/package.json'));
    out.sdk = { name: 'mangopay2-nodejs-sdk', version: require(path.join(sdkDir, 'package.json')).version };
    // The SDK sends everything through its own axios default instance; take
    // that very instance to watch and fence its traffic.
    axios = require(require.resolve('axios', { paths: [sdkDir] }));
  } catch (e) {
    return usage(`cannot load the SDK (run: npm ci --prefix tools/nodesdk): ${e.message}`);
  }

  // Never go through a proxy, whatever the environment says.
  axios.defaults.proxy = false;

  const guard = (url) => {
    const u = new URL(url);
    if (u.origin !== base.origin) throw new Error(`refused request to ${u.origin}: only ${base.origin} is allowed`);
    return u;
  };

  axios.interceptors.request.use((cfg) => {
    const u = guard(axios.getUri(cfg));
    const h = cfg.headers && typeof cfg.headers.toJSON === 'function' ? cfg.headers.toJSON() : cfg.headers || {};
    const get = (name) => {
      const k = Object.keys(h).find((x) => x.toLowerCase() === name.toLowerCase());
      return k === undefined ? undefined : String(h[k]);
    };
    const auth = get('Authorization');
    const rec = {
      method: String(cfg.method || 'get').toUpperCase(),
      path: u.pathname + u.search,
      token: /\/oauth\/token\/?$/i.test(u.pathname),
      auth: auth ? auth.split(' ')[0] : null,
      contentType: get('Content-Type') || null,
      userAgent: get('User-Agent') || null,
      tenant: get('x-tentant-id') || null,
      idempotencyKey: get('Idempotency-Key') || null,
      bodyKeys: null,
      status: null,
    };
    if (cfg.data && typeof cfg.data === 'object' && !Buffer.isBuffer(cfg.data)) {
      rec.bodyKeys = Object.keys(cfg.data).sort();
    }
    out.requests.push(rec);
    cfg.__smoke = rec;
    return cfg;
  });
  axios.interceptors.response.use(
    (resp) => {
      if (resp.config && resp.config.__smoke) resp.config.__smoke.status = resp.status;
      return resp;
    },
    (err) => {
      const rec = err && err.config && err.config.__smoke;
      if (rec) rec.status = err.response ? err.response.status : `network: ${err.code || err.message}`;
      return Promise.reject(err);
    }
  );

  // Plain fetch, fenced the same way (the card tokenization and the fake's
  // test controls go through it).
  const fenced = async (url, init) => {
    const u = guard(url);
    const rec = { method: (init && init.method) || 'GET', path: u.pathname + u.search, token: false, viaFetch: true, status: null };
    out.requests.push(rec);
    const resp = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
    rec.status = resp.status;
    return resp;
  };

  // Hook receiver: Mangopay calls a hook URL with GET ?EventType&RessourceId&Date.
  const receiver = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    out.hookDeliveries.push({
      method: req.method,
      path: u.pathname,
      EventType: u.searchParams.get('EventType'),
      RessourceId: u.searchParams.get('RessourceId'),
      Date: u.searchParams.get('Date'),
    });
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  await new Promise((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(0, '127.0.0.1', resolve);
  });
  receiver.unref();
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/mangopay/hooks`;

  const api = new mangopay({
    clientId,
    clientApiKey: apiKey,
    baseUrl: base.origin,
    // Deprecated switch, kept on purpose: it makes the SDK send its
    // misspelled `x-tentant-id: uk` header, which the fake must ignore.
    ukHeaderFlag: true,
    connectionTimeout: 15000,
    responseTimeout: 15000,
    errorHandler: (message, data) => {
      out.sdkErrors.push({ message: typeof message === 'string' ? message : JSON.stringify(message), data: data === undefined ? null : data });
    },
  });

  const ids = out.ids;
  const st = out.statuses;
  const bal = out.balances;
  const obs = out.observed;
  const A = {
    payIn: 10000,
    payInFees: 500,
    transfer: 6000,
    transferFees: 600,
    refund: 2000,
    refundFees: 0,
    payout: 5000,
    payoutFees: 0,
  };
  // What the amounts imply for the two user wallets.
  A.payerAfterPayIn = A.payIn - A.payInFees;
  A.payerAfterTransfer = A.payerAfterPayIn - A.transfer;
  A.ownerAfterTransfer = A.transfer - A.transferFees;
  A.payerAfterRefund = A.payerAfterTransfer - A.refund;
  A.ownerAfterPayout = A.ownerAfterTransfer - A.payout;
  A.fees = A.payInFees + A.transferFees - A.refundFees;
  out.amounts = A;

  const walletBalance = async (walletId) => {
    const w = await api.Wallets.get(walletId);
    eq(w.Balance && w.Balance.Currency, 'EUR', `wallet ${walletId} balance currency`);
    return w.Balance.Amount;
  };

  const suffix = crypto.randomBytes(4).toString('hex');
  const address = {
    AddressLine1: '3 rue de la Cité',
    AddressLine2: '',
    City: 'Paris',
    Region: 'Île-de-France',
    PostalCode: '75004',
    Country: 'FR',
  };

  // 1. Users. The payer is a plain object (so PersonType goes in the body, as
  // the SDK's own tests do); the owner is an SDK model (buildRequestData
  // strips its read-only fields).
  await step('create natural PAYER user', async () => {
    const payer = {
      PersonType: 'NATURAL',
      UserCategory: 'PAYER',
      TermsAndConditionsAccepted: true,
      FirstName: 'Alex',
      LastName: 'Smith',
      Email: `payer-${suffix}@example.com`,
      Address: address,
      Tag: 'nodesdk-smoke',
    };
    const u = await api.Users.create(payer);
    expect(typeof u.Id === 'string' && u.Id !== '', 'payer has no string Id');
    eq(u.PersonType, 'NATURAL', 'payer PersonType');
    eq(u.UserCategory, 'PAYER', 'payer UserCategory');
    ids.payer = u.Id;
    return { Id: u.Id, KYCLevel: u.KYCLevel, model: u.constructor && u.constructor.name };
  });

  await step('create natural OWNER user', async () => {
    const owner = new api.models.UserNatural({
      UserCategory: 'OWNER',
      TermsAndConditionsAccepted: true,
      FirstName: 'Jane',
      LastName: 'Doe',
      Email: `owner-${suffix}@example.com`,
      Birthday: Date.UTC(1990, 4, 17) / 1000,
      Nationality: 'FR',
      CountryOfResidence: 'FR',
      Occupation: 'Seller',
      IncomeRange: 3,
      Address: new api.models.Address(address),
    });
    const u = await api.Users.create(owner);
    expect(typeof u.Id === 'string' && u.Id !== '', 'owner has no string Id');
    eq(u.PersonType, 'NATURAL', 'owner PersonType');
    eq(u.UserCategory, 'OWNER', 'owner UserCategory');
    eq(u.KYCLevel, 'LIGHT', 'owner KYCLevel');
    ids.owner = u.Id;
    return { Id: u.Id, KYCLevel: u.KYCLevel, TermsAndConditionsAcceptedDate: u.TermsAndConditionsAcceptedDate };
  });

  await step('get users', async () => {
    const p = await api.Users.get(need(ids.payer, 'payer'));
    eq(p.Id, ids.payer, 'GET /users/{id} Id');
    eq(p.FirstName, 'Alex', 'payer FirstName');
    eq(p.Email, `payer-${suffix}@example.com`, 'payer Email');
    const o = await api.Users.getNatural(need(ids.owner, 'owner'));
    eq(o.Id, ids.owner, 'GET /users/natural/{id} Id');
    eq(o.Birthday, Date.UTC(1990, 4, 17) / 1000, 'owner Birthday');
    eq(o.Address && o.Address.City, 'Paris', 'owner Address.City');
    return { payer: { Id: p.Id, UserCategory: p.UserCategory }, owner: { Id: o.Id, UserCategory: o.UserCategory, KYCLevel: o.KYCLevel } };
  });

  // 2. Hook first, so that the story's events can be delivered to it.
  await step('create hook', async () => {
    let h;
    try {
      h = await api.Hooks.create({ EventType: 'PAYIN_NORMAL_SUCCEEDED', Url: hookUrl, Tag: 'nodesdk-smoke' });
    } catch (e) {
      // A long-running fake (or a sandbox) keeps one hook per EventType from an
      // earlier run: point that one at this run's receiver instead.
      const taken = e && e.errors && /already been registered/i.test(String(e.errors.EventType || ''));
      if (!taken) throw e;
      const all = await api.Hooks.getAll({ parameters: { page: 1, per_page: 100 } });
      const old = all.find((x) => x.EventType === 'PAYIN_NORMAL_SUCCEEDED');
      expect(old, 'the API says a PAYIN_NORMAL_SUCCEEDED hook exists, but it is not in the list');
      h = await api.Hooks.update({ Id: old.Id, Url: hookUrl, Status: 'ENABLED' });
      obs.hookReused = old.Id;
    }
    expect(typeof h.Id === 'string' && h.Id !== '', 'hook has no Id');
    eq(h.EventType, 'PAYIN_NORMAL_SUCCEEDED', 'hook EventType');
    eq(h.Url, hookUrl, 'hook Url');
    ids.hook = h.Id;
    st.hook = h.Status;
    return { Id: h.Id, Status: h.Status, Validity: h.Validity };
  });

  // 3. Wallets.
  await step('create wallets', async () => {
    const pw = await api.Wallets.create({ Owners: [need(ids.payer, 'payer')], Currency: 'EUR', Description: 'Payer wallet' });
    const ow = await api.Wallets.create({ Owners: [need(ids.owner, 'owner')], Currency: 'EUR', Description: 'Seller wallet' });
    for (const [w, who] of [[pw, ids.payer], [ow, ids.owner]]) {
      expect(typeof w.Id === 'string' && w.Id !== '', 'wallet has no Id');
      eq(w.Owners, [who], 'wallet Owners');
      eq(w.Balance, money(0), 'new wallet Balance');
      eq(w.FundsType, 'DEFAULT', 'wallet FundsType');
    }
    ids.payerWallet = pw.Id;
    ids.ownerWallet = ow.Id;
    return { payerWallet: pw.Id, ownerWallet: ow.Id };
  });

  // 4. Card registration, tokenization as a browser would, update, card.
  // The registration is a plain object that the SDK fills with the response
  // (it does that to the data you pass in) and that is sent back whole on the
  // update, read-only fields included -- exactly as the SDK's own tests do.
  const reg = { UserId: undefined, Currency: 'EUR', CardType: 'CB_VISA_MASTERCARD' };
  await step('create card registration', async () => {
    reg.UserId = need(ids.payer, 'payer');
    const r = await api.CardRegistrations.create(reg);
    expect(typeof r.Id === 'string' && r.Id !== '', 'registration has no Id');
    eq(r.Status, 'CREATED', 'registration Status');
    expect(r.AccessKey && r.PreregistrationData && r.CardRegistrationURL, 'registration lacks AccessKey, PreregistrationData or CardRegistrationURL');
    eq(reg.Id, r.Id, 'SDK copies the response into the object passed in');
    ids.cardRegistration = r.Id;
    st.cardRegistrationCreated = r.Status;
    return { Id: r.Id, CardRegistrationURL: r.CardRegistrationURL };
  });

  let registrationData;
  await step('tokenize card at CardRegistrationURL', async () => {
    need(ids.cardRegistration, 'card registration');
    const form = new URLSearchParams({
      data: reg.PreregistrationData,
      accessKeyRef: reg.AccessKey,
      cardNumber: '4970107111111119',
      cardExpirationDate: futureExpiry(),
      cardCvx: '123',
    });
    const resp = await fenced(reg.CardRegistrationURL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const text = (await resp.text()).trim();
    eq(resp.status, 200, 'tokenization HTTP status');
    expect(text.startsWith('data='), `tokenization answered ${JSON.stringify(text.slice(0, 80))}, want data=...`);
    registrationData = text;
    return { status: resp.status, contentType: resp.headers.get('content-type'), prefix: text.slice(0, 5) };
  });

  await step('update card registration with RegistrationData', async () => {
    reg.RegistrationData = need(registrationData, 'tokenization');
    reg.CardHolderName = 'Alex Smith';
    const r = await api.CardRegistrations.update(reg);
    eq(r.Status, 'VALIDATED', 'registration Status after update');
    eq(r.ResultCode, '000000', 'registration ResultCode');
    expect(typeof r.CardId === 'string' && r.CardId !== '', 'registration has no CardId');
    ids.card = r.CardId;
    st.cardRegistration = r.Status;
    return { Status: r.Status, CardId: r.CardId, sentKeys: lastRequest().bodyKeys };
  });

  await step('get card', async () => {
    const c = await api.Cards.get(need(ids.card, 'card'));
    eq(c.Id, ids.card, 'card Id');
    eq(c.UserId, ids.payer, 'card UserId');
    eq(c.Currency, 'EUR', 'card Currency');
    eq(c.Active, true, 'card Active');
    expect(typeof c.Alias === 'string' && c.Alias.endsWith('1119'), `card Alias ${c.Alias}`);
    st.cardValidityBeforePayIn = c.Validity;
    return { Alias: c.Alias, ExpirationDate: c.ExpirationDate, Validity: c.Validity, CardProvider: c.CardProvider };
  });

  // 5. Card direct pay-in, with PaymentType/ExecutionType in the body (that is
  // how the SDK picks the URL: /payins/card/direct/ with a trailing slash).
  await step('card direct pay-in', async () => {
    const p = await api.PayIns.create({
      PaymentType: 'CARD',
      ExecutionType: 'DIRECT',
      AuthorId: need(ids.payer, 'payer'),
      CreditedWalletId: need(ids.payerWallet, 'payer wallet'),
      CardId: need(ids.card, 'card'),
      DebitedFunds: money(A.payIn),
      Fees: money(A.payInFees),
      SecureMode: 'DEFAULT',
      SecureModeReturnURL: 'https://example.com/return',
      StatementDescriptor: 'Shop',
      IpAddress: '2001:0620:0000:0000:0211:24FF:FE80:C12C',
      BrowserInfo: {
        AcceptHeader: 'text/html, application/xhtml+xml, application/xml;q=0.9, /;q=0.8',
        JavaEnabled: true,
        Language: 'FR-FR',
        ColorDepth: 4,
        ScreenHeight: 1800,
        ScreenWidth: 400,
        JavascriptEnabled: true,
        TimeZoneOffset: '+60',
        UserAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 13_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      },
      Billing: { FirstName: 'Alex', LastName: 'Smith', Address: address },
      Tag: 'nodesdk-smoke',
    });
    ids.payIn = p.Id;
    st.payIn = p.Status;
    eq(p.Status, 'SUCCEEDED', 'pay-in Status');
    eq(p.ResultCode, '000000', 'pay-in ResultCode');
    eq(p.PaymentType, 'CARD', 'pay-in PaymentType');
    eq(p.ExecutionType, 'DIRECT', 'pay-in ExecutionType');
    eq(p.CreditedFunds, money(A.payIn - A.payInFees), 'pay-in CreditedFunds');
    eq(p.SecureModeNeeded, false, 'pay-in SecureModeNeeded');
    eq(p.Type, 'PAYIN', 'pay-in Type');
    eq(p.Nature, 'REGULAR', 'pay-in Nature');
    eq(p.CreditedWalletId, ids.payerWallet, 'pay-in CreditedWalletId');
    expect(Number.isInteger(p.ExecutionDate), `pay-in ExecutionDate ${p.ExecutionDate}, want a Unix time`);
    const g = await api.PayIns.get(p.Id);
    eq(g.Status, 'SUCCEEDED', 'GET pay-in Status');
    eq(g.CardId, ids.card, 'GET pay-in CardId');
    const c = await api.Cards.get(ids.card);
    eq(c.Validity, 'VALID', 'card Validity after a successful pay-in');
    st.cardValidity = c.Validity;
    bal.payerAfterPayIn = await walletBalance(ids.payerWallet);
    eq(bal.payerAfterPayIn, A.payerAfterPayIn, 'payer wallet after pay-in');
    return { Id: p.Id, Status: p.Status, SecureModeReturnURL: p.SecureModeReturnURL, CardInfo: p.CardInfo || null };
  });

  // 6. Transfer with fees, payer wallet -> owner wallet.
  await step('transfer with fees', async () => {
    const t = await api.Transfers.create({
      AuthorId: need(ids.payer, 'payer'),
      CreditedUserId: need(ids.owner, 'owner'),
      DebitedWalletId: need(ids.payerWallet, 'payer wallet'),
      CreditedWalletId: need(ids.ownerWallet, 'owner wallet'),
      DebitedFunds: money(A.transfer),
      Fees: money(A.transferFees),
      Tag: 'nodesdk-smoke',
    });
    ids.transfer = t.Id;
    st.transfer = t.Status;
    eq(t.Status, 'SUCCEEDED', 'transfer Status');
    eq(t.CreditedFunds, money(A.transfer - A.transferFees), 'transfer CreditedFunds');
    eq(t.Type, 'TRANSFER', 'transfer Type');
    eq(t.Nature, 'REGULAR', 'transfer Nature');
    eq(t.CreditedUserId, ids.owner, 'transfer CreditedUserId');
    const g = await api.Transfers.get(t.Id);
    eq(g.Status, 'SUCCEEDED', 'GET transfer Status');
    bal.payerAfterTransfer = await walletBalance(ids.payerWallet);
    bal.ownerAfterTransfer = await walletBalance(ids.ownerWallet);
    eq(bal.payerAfterTransfer, A.payerAfterTransfer, 'payer wallet after transfer');
    eq(bal.ownerAfterTransfer, A.ownerAfterTransfer, 'owner wallet after transfer');
    return { Id: t.Id, Status: t.Status };
  });

  // 7. Partial refund of the pay-in.
  await step('partial pay-in refund', async () => {
    const r = await api.PayIns.createRefund(need(ids.payIn, 'pay-in'), {
      AuthorId: need(ids.payer, 'payer'),
      DebitedFunds: money(A.refund),
      Fees: money(A.refundFees),
    });
    ids.refund = r.Id;
    st.refund = r.Status;
    eq(r.Status, 'SUCCEEDED', 'refund Status');
    eq(r.Type, 'PAYOUT', 'refund Type');
    eq(r.Nature, 'REFUND', 'refund Nature');
    eq(r.InitialTransactionId, ids.payIn, 'refund InitialTransactionId');
    eq(r.DebitedFunds, money(A.refund), 'refund DebitedFunds');
    eq(r.CreditedFunds, money(A.refund - A.refundFees), 'refund CreditedFunds');
    eq(r.InitialTransactionType, 'PAYIN', 'refund InitialTransactionType');
    eq(r.DebitedWalletId, ids.payerWallet, 'refund DebitedWalletId');
    eq(r.CreditedWalletId, null, 'refund CreditedWalletId');
    const g = await api.Refunds.get(r.Id);
    eq(g.Id, r.Id, 'GET refund Id');
    bal.payerAfterRefund = await walletBalance(ids.payerWallet);
    eq(bal.payerAfterRefund, A.payerAfterRefund, 'payer wallet after refund');
    return { Id: r.Id, Status: r.Status, CreditedFunds: r.CreditedFunds };
  });

  // 8. KYC: document (POST .../KYC/documents/ -- upper case, trailing slash),
  // one 40 KiB PDF page (204), submit.
  await step('KYC document: create, add page, submit', async () => {
    const owner = need(ids.owner, 'owner');
    const d = await api.Users.createKycDocument(owner, { Type: 'IDENTITY_PROOF', Tag: 'accept' });
    expect(typeof d.Id === 'string' && d.Id !== '', 'KYC document has no Id');
    eq(d.Status, 'CREATED', 'KYC document Status');
    eq(d.Type, 'IDENTITY_PROOF', 'KYC document Type');
    eq(d.UserId, owner, 'KYC document UserId');
    ids.kycDocument = d.Id;
    const pdf = fakePdf();
    obs.kycPageBytes = pdf.length;
    const page = await api.Users.createKycPage(owner, d.Id, { File: pdf.toString('base64') });
    eq(lastRequest().status, 204, 'KYC page HTTP status');
    obs.kycPageAnswer = page === '' || page === undefined ? '(empty)' : page;
    const s = await api.Users.updateKycDocument(owner, { Id: d.Id, Status: 'VALIDATION_ASKED' });
    eq(s.Status, 'VALIDATION_ASKED', 'KYC document Status after submit');
    const g = await api.Users.getKycDocument(owner, d.Id);
    eq(g.Status, 'VALIDATION_ASKED', 'GET KYC document Status');
    st.kycDocumentSubmitted = g.Status;
    st.kycDocument = g.Status;
    return { Id: d.Id, Status: g.Status };
  });

  if (fakeControls) {
    await step('fake control: settle KYC review', async () => {
      const doc = need(ids.kycDocument, 'KYC document');
      const resp = await fenced(`${base.origin}/__fake/documents/${encodeURIComponent(doc)}/settle`, { method: 'POST' });
      expect(resp.status >= 200 && resp.status < 300, `settle document answered HTTP ${resp.status}: ${(await resp.text()).slice(0, 200)}`);
      const g = await api.Users.getKycDocument(ids.owner, doc);
      eq(g.Status, 'VALIDATED', 'KYC document Status after review (Tag "accept")');
      const o = await api.Users.get(ids.owner);
      eq(o.KYCLevel, 'REGULAR', 'owner KYCLevel after a validated IDENTITY_PROOF');
      eq(o.ProofOfIdentity, doc, 'owner ProofOfIdentity');
      st.kycDocument = g.Status;
      st.ownerKYCLevel = o.KYCLevel;
      return { Status: g.Status, KYCLevel: o.KYCLevel };
    });
  }

  // 9. IBAN bank account (Type goes in the body; the SDK builds the URL from it).
  await step('create IBAN bank account', async () => {
    const b = await api.Users.createBankAccount(need(ids.owner, 'owner'), {
      Type: 'IBAN',
      OwnerName: 'Jane Doe',
      OwnerAddress: address,
      IBAN: 'FR7630004000031234567890143',
      BIC: 'BNPAFRPP',
      Tag: 'nodesdk-smoke',
    });
    expect(typeof b.Id === 'string' && b.Id !== '', 'bank account has no Id');
    eq(b.Type, 'IBAN', 'bank account Type');
    eq(b.Active, true, 'bank account Active');
    eq(b.IBAN, 'FR7630004000031234567890143', 'bank account IBAN');
    eq(b.UserId, ids.owner, 'bank account UserId');
    ids.bankAccount = b.Id;
    const g = await api.Users.getBankAccount(ids.owner, b.Id);
    eq(g.Id, b.Id, 'GET bank account Id');
    return { Id: b.Id, Type: b.Type };
  });

  // 10. Payout (POST /payouts/bankwire/ with PaymentType in the body).
  await step('payout', async () => {
    const p = await api.PayOuts.create({
      PaymentType: 'BANK_WIRE',
      AuthorId: need(ids.owner, 'owner'),
      DebitedWalletId: need(ids.ownerWallet, 'owner wallet'),
      BankAccountId: need(ids.bankAccount, 'bank account'),
      DebitedFunds: money(A.payout),
      Fees: money(A.payoutFees),
      BankWireRef: 'SMOKE',
      Tag: 'nodesdk-smoke',
    });
    ids.payout = p.Id;
    st.payoutCreated = p.Status;
    st.payout = p.Status;
    obs.payoutCreate = { Status: p.Status, ResultCode: p.ResultCode, ResultMessage: p.ResultMessage };
    eq(p.Status, 'CREATED', 'payout Status at creation');
    eq(p.PaymentType, 'BANK_WIRE', 'payout PaymentType');
    eq(p.Type, 'PAYOUT', 'payout Type');
    eq(p.Nature, 'REGULAR', 'payout Nature');
    eq(p.BankAccountId, ids.bankAccount, 'payout BankAccountId');
    eq(p.ResultCode, null, 'payout ResultCode while CREATED');
    const g = await api.PayOuts.get(p.Id);
    eq(g.Id, p.Id, 'GET payout Id');
    bal.ownerAfterPayoutCreated = await walletBalance(ids.ownerWallet);
    return { Id: p.Id, Status: p.Status, ownerBalance: bal.ownerAfterPayoutCreated };
  });

  if (fakeControls) {
    await step('fake control: settle payout', async () => {
      const po = need(ids.payout, 'payout');
      const resp = await fenced(`${base.origin}/__fake/payouts/${encodeURIComponent(po)}/settle?status=SUCCEEDED`, { method: 'POST' });
      expect(resp.status >= 200 && resp.status < 300, `settle payout answered HTTP ${resp.status}: ${(await resp.text()).slice(0, 200)}`);
      const g = await api.PayOuts.get(po);
      eq(g.Status, 'SUCCEEDED', 'payout Status after settlement');
      eq(g.ResultCode, '000000', 'payout ResultCode after settlement');
      st.payout = g.Status;
      bal.ownerAfterPayout = await walletBalance(ids.ownerWallet);
      eq(bal.ownerAfterPayout, A.ownerAfterPayout, 'owner wallet after a settled payout');
      return { Status: g.Status };
    });
  }

  // 11. Hooks list and events list.
  await step('list hooks', async () => {
    const hooks = await api.Hooks.getAll({ parameters: { page: 1, per_page: 100 } });
    expect(Array.isArray(hooks), 'hooks list is not an array');
    const h = hooks.find((x) => x.Id === ids.hook);
    expect(h, `hook ${ids.hook} not in the list`);
    return { count: hooks.length };
  });

  await step('list events', async () => {
    const events = await api.Events.getAll({ parameters: { page: 1, per_page: 100 } });
    expect(Array.isArray(events), 'events list is not an array');
    const types = {};
    for (const e of events) types[e.EventType] = (types[e.EventType] || 0) + 1;
    obs.eventTypes = types;
    const has = (type, id) => events.some((e) => e.EventType === type && e.ResourceId === id);
    expect(has('PAYIN_NORMAL_SUCCEEDED', ids.payIn), 'no PAYIN_NORMAL_SUCCEEDED event for the pay-in');
    expect(has('TRANSFER_NORMAL_SUCCEEDED', ids.transfer), 'no TRANSFER_NORMAL_SUCCEEDED event for the transfer');
    expect(has('PAYIN_REFUND_SUCCEEDED', ids.refund), 'no PAYIN_REFUND_SUCCEEDED event for the refund');
    return { count: events.length };
  });

  // 12. Idempotency: the same create twice with one key. The real API (and
  // the fake) answer the replay with 409 idempotent_creation_conflict; the
  // SDK rejects with the parsed error body. The original answer is then
  // read with GET /responses/{key}.
  await step('idempotent create repeated with the same key', async () => {
    const key = `nodesdk-smoke-${crypto.randomBytes(8).toString('hex')}`;
    const idem = out.idempotency;
    idem.key = key;
    const body = () => ({ Owners: [need(ids.payer, 'payer')], Currency: 'EUR', Description: 'Idempotent wallet' });
    const first = await api.Wallets.create(body(), api.OptionsHelper.withIdempotency({}, key));
    idem.first = { status: lastRequest().status, Id: first.Id, sentKey: lastRequest().idempotencyKey };
    eq(lastRequest().idempotencyKey, key, 'Idempotency-Key header sent by the SDK');
    ids.idempotentWallet = first.Id;
    let second;
    try {
      const again = await api.Wallets.create(body(), api.OptionsHelper.withIdempotency({}, key));
      second = { resolved: true, status: lastRequest().status, Id: again && again.Id };
    } catch (e) {
      second = { resolved: false, status: lastRequest().status, body: describe(e) };
    }
    idem.second = second;
    expect(!second.resolved, `replay resolved with ${JSON.stringify(second)}, want a rejection`);
    eq(second.status, 409, 'replay HTTP status');
    eq(second.body.Type, 'idempotent_creation_conflict', 'replay error Type');
    const r = await api.Idempotency.get(key);
    idem.response = {
      StatusCode: r.StatusCode,
      ContentType: r.ContentType,
      RequestURL: r.RequestURL,
      ResourceId: r.Resource && r.Resource.Id,
    };
    eq(String(r.StatusCode), '200', 'GET /responses StatusCode');
    eq(r.Resource && r.Resource.Id, first.Id, 'GET /responses Resource.Id');
    return idem;
  });

  // 13. Final balances as the SDK sees them.
  await step('final balances', async () => {
    bal.payerFinal = await walletBalance(need(ids.payerWallet, 'payer wallet'));
    bal.ownerFinal = await walletBalance(need(ids.ownerWallet, 'owner wallet'));
    eq(bal.payerFinal, A.payerAfterRefund, 'payer wallet at the end');
    if (fakeControls) eq(bal.ownerFinal, A.ownerAfterPayout, 'owner wallet at the end');
    return { payer: bal.payerFinal, owner: bal.ownerFinal };
  });

  // Hook deliveries are asynchronous: give the pay-in's a moment to arrive.
  if (ids.hook && ids.payIn) {
    const until = Date.now() + 3000;
    while (Date.now() < until && !out.hookDeliveries.some((d) => d.RessourceId === ids.payIn)) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  obs.payInHookDelivered = out.hookDeliveries.some((d) => d.EventType === 'PAYIN_NORMAL_SUCCEEDED' && d.RessourceId === ids.payIn);

  // The SDK parses the four rate-limit windows from every answer's headers.
  obs.rateLimits = api.rateLimits;
  const windows = (api.rateLimits || []).map((w) => w.minutesInterval);
  if (JSON.stringify(windows) !== JSON.stringify([15, 30, 60, 1440])) {
    out.errors.push(`the SDK parsed rate-limit windows ${JSON.stringify(windows)}, want [15,30,60,1440]`);
  }

  const nonToken = out.requests.filter((r) => !r.token && !r.viaFetch);
  obs.userAgent = nonToken.length ? nonToken[0].userAgent : null;
  obs.everyApiCallBearer = nonToken.every((r) => r.auth && r.auth.toLowerCase() === 'bearer');
  obs.everyApiCallTenantHeader = nonToken.every((r) => r.tenant === 'uk');

  const tokenCalls = out.requests.filter((r) => r.token).length;
  if (tokenCalls !== 1) out.errors.push(`the SDK asked for ${tokenCalls} tokens, want 1 for the whole story`);
  if (!obs.everyApiCallBearer) out.errors.push('an API call went out without a Bearer token');

  out.ok = out.steps.every((s) => s.ok) && out.errors.length === 0;
  finish(out.ok ? 0 : 1);
}

const watchdog = setTimeout(() => {
  out.errors.push(`watchdog: the story did not finish within ${WATCHDOG_MS} ms`);
  finish(2);
}, WATCHDOG_MS);
// The watchdog stays referenced on purpose: the process ends through finish().
void watchdog;

process.on('unhandledRejection', (e) => {
  out.errors.push(`unhandled rejection: ${JSON.stringify(describe(e))}`);
});

main().catch((e) => {
  out.errors.push(`crash: ${e && e.stack ? e.stack : String(e)}`);
  finish(1);
});
