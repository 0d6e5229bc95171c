#!/usr/bin/env node
// The Node side of make bench's peer comparison (internal/bench/peer.go):
// runs N times, through Mangopay's official Node SDK (mangopay2-nodejs-sdk,
// pinned in package.json), the same sequence as bench.PeerRun does through
// our Go client -- create a natural OWNER user (made REGULAR through the
// fake's control), two wallets, a card registration tokenized at its
// CardRegistrationURL and updated, a card direct pay-in, a transfer, an IBAN
// bank account and a payout -- against a fake Mangopay on a loopback address.
// The OAuth token is fetched once, on the first call.
//
// Usage: node tools/nodesdk/bench.js BASE_URL CLIENT_ID API_KEY N
// Prints one JSON line: {"iterations":N,"seconds":S,"vm_hwm_bytes":B}.
// Exit status 1 when a step did not give the expected result.
'use strict';

const [baseUrl, clientId, apiKey, nArg] = process.argv.slice(2);
const n = Number(nArg);
const base = new URL(baseUrl);
if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(base.hostname) || !clientId || !apiKey || !(n > 0)) {
  process.stderr.write('usage: node bench.js http://127.0.0.1:PORT CLIENT_ID API_KEY N (loopback only)\n');
  process.exit(2);
}
const mangopay = require('mangopay2-nodejs-sdk');
const path = require('path');
const axios = require(require.resolve('axios', { paths: [path.dirname(require.resolve('mangopay2-nodejs-sdk/package.json'))] }));
axios.defaults.proxy = false;
axios.interceptors.request.use((cfg) => {
  if (new URL(axios.getUri(cfg)).origin !== base.origin) throw new Error('refused a request off the fake');
  return cfg;
});

const api = new mangopay({ clientId, clientApiKey: apiKey, baseUrl: base.origin, connectionTimeout: 15000, responseTimeout: 15000 });
const eur = (Amount) => ({ Currency: 'EUR', Amount });
const address = { AddressLine1: '3 rue de la Cité', City: 'Paris', Region: 'Île-de-France', PostalCode: '75004', Country: 'FR' };
const expiry = (() => {
  const d = new Date();
  return String(d.getUTCMonth() + 1).padStart(2, '0') + String((d.getUTCFullYear() + 3) % 100).padStart(2, '0');
})();
function want(cond, what) {
  if (!cond) throw new Error(what);
}

async function once(i) {
  const u = await api.Users.create({
    PersonType: 'NATURAL', UserCategory: 'OWNER', TermsAndConditionsAccepted: true,
    FirstName: 'Jane', LastName: 'Doe', Email: `peer-node-${i}-${process.pid}@example.com`,
    Birthday: Date.UTC(1990, 4, 17) / 1000, Nationality: 'FR', CountryOfResidence: 'FR', Address: address,
  });
  const kyc = await fetch(`${base.origin}/__fake/users/${encodeURIComponent(u.Id)}/kyc-level?level=REGULAR`, { method: 'POST' });
  want(kyc.ok, `kyc-level control: ${kyc.status}`);
  const a = await api.Wallets.create({ Owners: [u.Id], Currency: 'EUR', Description: 'peer A' });
  const b = await api.Wallets.create({ Owners: [u.Id], Currency: 'EUR', Description: 'peer B' });
  const reg = { UserId: u.Id, Currency: 'EUR', CardType: 'CB_VISA_MASTERCARD' };
  await api.CardRegistrations.create(reg);
  const form = new URLSearchParams({ data: reg.PreregistrationData, accessKeyRef: reg.AccessKey, cardNumber: '4970107111111119', cardExpirationDate: expiry, cardCvx: '123' });
  if (new URL(reg.CardRegistrationURL).origin !== base.origin) throw new Error('refused a vault off the fake');
  const tok = await fetch(reg.CardRegistrationURL, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  reg.RegistrationData = (await tok.text()).trim();
  reg.CardHolderName = 'Jane Doe';
  const done = await api.CardRegistrations.update(reg);
  want(done.Status === 'VALIDATED', `card registration ${done.Status}`);
  const p = await api.PayIns.create({
    PaymentType: 'CARD', ExecutionType: 'DIRECT', AuthorId: u.Id, CreditedWalletId: a.Id, CardId: done.CardId,
    DebitedFunds: eur(10000), Fees: eur(0), SecureMode: 'DEFAULT', SecureModeReturnURL: 'https://example.com/return',
    StatementDescriptor: 'Shop', IpAddress: '2001:db8::1',
    BrowserInfo: { AcceptHeader: 'text/html, application/xhtml+xml', JavaEnabled: false, Language: 'FR-FR', ColorDepth: 24, ScreenHeight: 1080, ScreenWidth: 1920, TimeZoneOffset: '-60', UserAgent: 'Mozilla/5.0 (X11; Linux x86_64)', JavascriptEnabled: true },
  });
  want(p.Status === 'SUCCEEDED', `pay-in ${p.Status}`);
  const t = await api.Transfers.create({ AuthorId: u.Id, DebitedWalletId: a.Id, CreditedWalletId: b.Id, DebitedFunds: eur(6000), Fees: eur(0) });
  want(t.Status === 'SUCCEEDED', `transfer ${t.Status}`);
  const ba = await api.Users.createBankAccount(u.Id, { Type: 'IBAN', OwnerName: 'Jane Doe', OwnerAddress: address, IBAN: 'FR7630004000031234567890143', BIC: 'BNPAFRPP' });
  const po = await api.PayOuts.create({ PaymentType: 'BANK_WIRE', AuthorId: u.Id, DebitedWalletId: b.Id, BankAccountId: ba.Id, DebitedFunds: eur(5000), Fees: eur(0) });
  want(po.Status === 'CREATED', `payout ${po.Status} ${po.ResultCode}`);
}

(async () => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // VmHWM, not resourceUsage().maxRSS: a process started by Go carries its
  // parent's peak into maxrss (the memory is shared until exec).
  const m = /VmHWM:\s*(\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(JSON.stringify({ iterations: n, seconds, vm_hwm_bytes: m ? Number(m[1]) * 1024 : 0 }) + '\n');
})().catch((e) => {
  process.stderr.write(`peer bench: ${e && e.message ? e.message : JSON.stringify(e)}\n`);
  process.exit(1);
});
