#!/usr/bin/env node
/*
 * Drive npm docker-registry-client 3.4.0 (Joyent's) against Berth's Index dialect.
 *
 * Run:  node tests/clients/registry_client_npm.js
 * The module is looked up normally, then in $BERTH_CLIENTS_DIR/node/node_modules
 * (setup.sh DIR puts it there).
 *
 * Environment:
 *   BERTH_URL          e.g. http://127.0.0.1:5000  (scheme matters: the client defaults to
 *                      https for anything that is not localhost/127.0.0.1)
 *   BERTH_USER         existing active user
 *   BERTH_PASSWORD     its password
 *   BERTH_EMAIL        email sent with the v1 login (default BERTH_USER@example.com; the
 *                      client requires one for v1 and POSTs it to /v1/users/)
 *   BERTH_NS           namespace of the seed repository (default BERTH_USER; must be
 *                      lowercase [a-z0-9._-], 2+ chars: the client validates it)
 *   BERTH_CLIENTS_DIR  where setup.sh installed the clients (for node_modules)
 *   BERTH_SKIP_BAD_LOGIN=1  skip the wrong-password login (one failed login for throttling)
 *   BERTH_LOG_LEVEL    bunyan level for the client's own logging (default warn; trace shows
 *                      every request)
 *
 * Seeds NS/npm-<random> (tags latest, v1) through the Index push flow, and NS/npm2-<random>
 * (tags latest, v1) with a Docker schema 2 image pushed through /v2/ (raw HTTP), then:
 *   loginV1 (POST /v1/users/ -> 400 "Username or email already exists" -> GET /v1/users/)
 *   loginV1 with a wrong password (must fail with the client's 401 message)
 *   login   (GET /v2/ is 401 with a Bearer challenge -> v2 login: a token from /v2/token with
 *            Basic; a wrong password must fail)
 *   createClientV1({name: URL/ns/repo}) listRepoImgs (X-Docker-Token: true), listRepoTags and
 *   getImgId (both with "Authorization: Token <X-Docker-Token>", against X-Docker-Endpoints),
 *   search({term}).
 *   createClientV2({name: URL/ns/repo2, maxSchemaVersion: 2}): ping (401 + the API version
 *   header), login (Bearer token), listTags, getManifest by tag and by digest (its
 *   Docker-Content-Digest and digestFromManifestStr agree with the pushed digest); with a wrong
 *   password listTags fails 401; a missing repository fails.
 */
'use strict';
var path = require('path');
var http = require('http');
var https = require('https');
var crypto = require('crypto');
var assert = require('assert');

function drcDir() {
    try {
        return path.dirname(path.dirname(require.resolve('docker-registry-client')));
    } catch (e) {
        var dir = process.env.BERTH_CLIENTS_DIR || path.join(__dirname, '..', '..', '.clients');
        return path.resolve(dir, 'node', 'node_modules', 'docker-registry-client');
    }
}
var DRC_DIR = drcDir();
var drc = require(DRC_DIR);
var DRC_VERSION = require(path.join(DRC_DIR, 'package.json')).version;
// drc.login() -> reg2.ping() asserts a bunyan logger in opts.log; use the client's own bunyan.
var bunyan = require(require.resolve('bunyan', {paths: [DRC_DIR]}));
var LOG = bunyan.createLogger({name: 'berth-harness', level: process.env.BERTH_LOG_LEVEL || 'warn',
    stream: process.stderr});

var URL_ = (process.env.BERTH_URL || 'http://127.0.0.1:5000').replace(/\/+$/, '');
var USER = process.env.BERTH_USER;
var PASSWORD = process.env.BERTH_PASSWORD;
if (!USER || !PASSWORD) {
    console.log('missing environment: BERTH_USER, BERTH_PASSWORD');
    process.exit(2);
}
var EMAIL = process.env.BERTH_EMAIL || (USER + '@example.com');
var NS = process.env.BERTH_NS || USER;
var REPO = 'npm-' + crypto.randomBytes(3).toString('hex');
var FULL = NS + '/' + REPO;
var FULL2 = NS + '/npm2-' + crypto.randomBytes(3).toString('hex');
var HOSTPORT = new URL(URL_).host;

var passed = 0, failed = 0;
function check(cond, what, got) {
    if (cond) { passed++; console.log('ok     - ' + what); }
    else {
        failed++;
        console.log('FAIL   - ' + what + (got === undefined ? '' : '\n         got: ' + JSON.stringify(got)));
    }
    return cond;
}
function equal(actual, expected, what) {
    var same = true;
    try { assert.deepStrictEqual(actual, expected); } catch (e) { same = false; }
    return check(same, what + ' == ' + JSON.stringify(expected), actual);
}
function step(t) { console.log('\n== ' + t); }
function errText(e) { return e ? (e.name + ': ' + e.message) : String(e); }
function p(fn) {   // promisify callback APIs that call back (err, a, b, c)
    return new Promise(function (resolve) {
        fn(function (err, a, b, c) { resolve({err: err, a: a, b: b, c: c}); });
    });
}

// Raw HTTP for seeding only (not the client under test).
function raw(method, pth, body, headers) {
    return new Promise(function (resolve) {
        var u = new URL(URL_ + pth);
        var h = Object.assign({Accept: 'application/json',
            Authorization: 'Basic ' + Buffer.from(USER + ':' + PASSWORD).toString('base64')}, headers || {});
        var data = body === undefined ? null : Buffer.from(JSON.stringify(body));
        if (data) { h['Content-Type'] = 'application/json'; h['Content-Length'] = data.length; }
        var req = (u.protocol === 'https:' ? https : http).request(u, {method: method, headers: h}, function (res) {
            var chunks = [];
            res.on('data', function (c) { chunks.push(c); });
            res.on('end', function () {
                resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString()});
            });
        });
        req.on('error', function (e) { resolve({status: 0, headers: {}, body: String(e)}); });
        if (data) req.write(data);
        req.end();
    });
}

async function seed() {
    var img = crypto.randomBytes(32).toString('hex');
    var r = await raw('PUT', '/v1/repositories/' + FULL + '/', [{id: img}], {'X-Docker-Token': 'true'});
    var tok = r.headers['x-docker-token'];
    if (!check(r.status === 200 && tok, 'seed: PUT /v1/repositories/' + FULL + '/ -> 200 with X-Docker-Token',
        [r.status, tok])) return null;
    for (var t of ['latest', 'v1']) {
        r = await raw('PUT', '/v1/repositories/' + FULL + '/tags/' + t, img, {Authorization: 'Token ' + tok});
        check(r.status === 200, 'seed: PUT tags/' + t + ' -> 200', r.status);
    }
    r = await raw('PUT', '/v1/repositories/' + FULL + '/images',
        [{id: img, checksum: 'sha256:' + crypto.randomBytes(32).toString('hex')}], {Authorization: 'Token ' + tok});
    check(r.status === 204, 'seed: PUT images -> 204', r.status);
    return img;
}

// Raw HTTP with a binary body, for the v2 push (not the client under test).
function rawBytes(method, pth, data, headers) {
    return new Promise(function (resolve) {
        var u = new URL(/^https?:/.test(pth) ? pth : URL_ + pth);
        var h = Object.assign({
            Authorization: 'Basic ' + Buffer.from(USER + ':' + PASSWORD).toString('base64'),
            'Content-Length': data.length}, headers || {});
        var req = (u.protocol === 'https:' ? https : http).request(u, {method: method, headers: h}, function (res) {
            var chunks = [];
            res.on('data', function (c) { chunks.push(c); });
            res.on('end', function () {
                resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString()});
            });
        });
        req.on('error', function (e) { resolve({status: 0, headers: {}, body: String(e)}); });
        req.write(data);
        req.end();
    });
}

function sha256(data) {
    return 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
}

async function pushBlob(name, data) {
    var r = await rawBytes('POST', '/v2/' + name + '/blobs/uploads/', Buffer.alloc(0),
        {'Content-Type': 'application/octet-stream'});
    if (!check(r.status === 202 && r.headers.location, 'seed v2: POST uploads -> 202 with Location',
        [r.status, r.body])) return;
    var loc = new URL(r.headers.location, URL_ + '/');
    loc.searchParams.set('digest', sha256(data));
    r = await rawBytes('PUT', loc.href, data, {'Content-Type': 'application/octet-stream'});
    check(r.status === 201, 'seed v2: PUT blob -> 201', [r.status, r.body]);
}

// A Docker schema 2 image (config + one layer) under each tag; returns the manifest digest.
async function pushImageV2(name, tags) {
    var config = Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux',
        rootfs: {type: 'layers', diff_ids: [sha256(crypto.randomBytes(8))]}}));
    var layer = crypto.randomBytes(1024);
    await pushBlob(name, config);
    await pushBlob(name, layer);
    var manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: {mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length,
            digest: sha256(config)},
        layers: [{mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length,
            digest: sha256(layer)}]
    }));
    var digest = sha256(manifest);
    for (var t of tags) {
        var r = await rawBytes('PUT', '/v2/' + name + '/manifests/' + t, manifest,
            {'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json'});
        check(r.status === 201 && r.headers['docker-content-digest'] === digest,
            'seed v2: PUT manifests/' + t + ' -> 201 with Docker-Content-Digest',
            [r.status, r.headers['docker-content-digest'], r.body]);
    }
    return digest;
}

async function main() {
    console.log('docker-registry-client (npm) ' + DRC_VERSION + ' -> ' + URL_ + ' as ' + USER + ', seed ' + FULL +
        ' (v1) and ' + FULL2 + ' (v2)');

    step('seed');
    var img = await seed();
    var digest2 = await pushImageV2(FULL2, ['latest', 'v1']);

    step('login');
    var r = await p(function (cb) {
        drc.loginV1({index: URL_, username: USER, password: PASSWORD, email: EMAIL, log: LOG}, cb);
    });
    check(!r.err, 'loginV1 succeeds', errText(r.err));
    equal(r.a && r.a.status, 'Login Succeeded', 'loginV1 result.status');

    r = await p(function (cb) {
        drc.login({index: URL_, username: USER, password: PASSWORD, email: EMAIL, log: LOG}, cb);
    });
    check(!r.err, 'login (GET /v2/ 401 Bearer -> v2 token login) succeeds', errText(r.err));
    equal(r.a && r.a.status, 'Login Succeeded', 'login result.status');
    equal(r.a && r.a.authInfo && r.a.authInfo.type, 'bearer', 'login took a Bearer token');

    if (process.env.BERTH_SKIP_BAD_LOGIN !== '1') {
        r = await p(function (cb) {
            drc.loginV1({index: URL_, username: USER, password: PASSWORD + '-wrong', email: EMAIL, log: LOG}, cb);
        });
        check(r.err && /Wrong login\/password/.test(r.err.message),
            'loginV1 with a wrong password fails with "Wrong login/password"', errText(r.err));
        r = await p(function (cb) {
            drc.login({index: URL_, username: USER, password: PASSWORD + '-wrong', log: LOG}, cb);
        });
        check(r.err && r.err.statusCode === 401, 'login (v2) with a wrong password fails 401', errText(r.err));
    }

    if (!img) { return; }

    step('images / tags with token');
    var client = drc.createClientV1({name: URL_ + '/' + FULL, username: USER, password: PASSWORD, log: LOG});
    equal(client.repo.remoteName, FULL, 'client repo.remoteName');
    equal(client.repo.index.name, HOSTPORT, 'client repo.index.name');
    try {
        r = await p(function (cb) { client.listRepoImgs(cb); });
        check(!r.err, 'listRepoImgs succeeds', errText(r.err));
        check(Array.isArray(r.a) && r.a.some(function (x) { return x.id === img; }),
            'listRepoImgs returns [{id}] including the pushed image', r.a);
        var res = r.b;
        check(res && /^signature=.+,repository="[^"]+",access=read$/.test(res.headers['x-docker-token'] || ''),
            'images response carries X-Docker-Token signature=...,repository="ns/repo",access=read',
            res && res.headers['x-docker-token']);
        equal(res && res.headers['x-docker-endpoints'], HOSTPORT,
            'X-Docker-Endpoints is the bare host:port the request reached');

        r = await p(function (cb) { client.listRepoTags(cb); });
        check(!r.err, 'listRepoTags succeeds', errText(r.err));
        equal(r.a, {latest: img, v1: img}, 'listRepoTags body ({tag: imageId})');
        check(client._authorization && client._authorization.indexOf('Token ') === 0,
            'client switched to Authorization: Token <X-Docker-Token>', client._authorization);
        equal(client._registryUrl, URL_, 'registry URL derived from X-Docker-Endpoints');

        r = await p(function (cb) { client.getImgId({tag: 'latest'}, cb); });
        check(!r.err, 'getImgId reuses the token', errText(r.err));
        equal(r.a, img, 'getImgId(latest)');

        r = await p(function (cb) { client.search({term: REPO}, cb); });
        check(!r.err, 'search succeeds', errText(r.err));
        var names = (r.a && r.a.results || []).map(function (x) { return x.name; });
        check(names.indexOf(FULL) !== -1, 'search({term}) finds ' + FULL, r.a);
    } finally {
        client.close();
    }

    step('missing repository');
    var c2 = drc.createClientV1({name: URL_ + '/' + NS + '/no-such-' + REPO, username: USER, password: PASSWORD, log: LOG});
    r = await p(function (cb) { c2.listRepoTags(cb); });
    c2.close();
    check(r.err && r.err.statusCode === 404, 'listRepoTags of a missing repository fails with 404', errText(r.err));

    step('v2 client (createClientV2)');
    var v2 = drc.createClientV2({name: URL_ + '/' + FULL2, username: USER, password: PASSWORD,
        maxSchemaVersion: 2, log: LOG});
    try {
        r = await p(function (cb) { v2.ping(cb); });
        var pingRes = r.b;
        check(pingRes && pingRes.statusCode === 401, 'ping: GET /v2/ without credentials is 401',
            pingRes && pingRes.statusCode);
        check(pingRes && /^Bearer realm="/.test(pingRes.headers['www-authenticate'] || ''),
            'ping: the 401 carries a Bearer challenge', pingRes && pingRes.headers['www-authenticate']);
        equal(pingRes && pingRes.headers['docker-distribution-api-version'], 'registry/2.0',
            'ping: Docker-Distribution-API-Version');
        r = await p(function (cb) { v2.supportsV2(cb); });
        equal(r.a, true, 'supportsV2');

        r = await p(function (cb) { v2.login(cb); });
        check(!r.err, 'login succeeds', errText(r.err));
        equal(v2._authInfo && v2._authInfo.type, 'bearer', 'login took a Bearer token');

        r = await p(function (cb) { v2.listTags(cb); });
        check(!r.err, 'listTags succeeds', errText(r.err));
        equal(r.a, {name: FULL2, tags: ['latest', 'v1']}, 'listTags body');

        for (var ref of ['latest', digest2]) {
            r = await p(function (cb) { v2.getManifest({ref: ref}, cb); });
            check(!r.err, 'getManifest(' + ref + ') succeeds', errText(r.err));
            equal(r.a && r.a.schemaVersion, 2, 'getManifest(' + ref + ').schemaVersion');
            equal(r.b && r.b.headers['docker-content-digest'], digest2,
                'getManifest(' + ref + ') Docker-Content-Digest');
            equal(r.c && drc.digestFromManifestStr(r.c), digest2,
                'digestFromManifestStr(getManifest(' + ref + '))');
        }
    } finally {
        v2.close();
    }
    if (process.env.BERTH_SKIP_BAD_LOGIN !== '1') {
        var bad = drc.createClientV2({name: URL_ + '/' + FULL2, username: USER, password: PASSWORD + '-wrong',
            maxSchemaVersion: 2, log: LOG});
        r = await p(function (cb) { bad.listTags(cb); });
        bad.close();
        check(r.err && r.err.statusCode === 401, 'listTags with a wrong password fails 401', errText(r.err));
    }
    var gone = drc.createClientV2({name: URL_ + '/' + NS + '/no-such-' + REPO, username: USER, password: PASSWORD,
        maxSchemaVersion: 2, log: LOG});
    r = await p(function (cb) { gone.listTags(cb); });
    gone.close();
    check(r.err && [401, 404].indexOf(r.err.statusCode) !== -1,
        'listTags of a missing repository fails (401 or 404)', errText(r.err));

    step('cleanup');
    for (var full of [FULL, FULL2]) {
        var d = await raw('DELETE', '/v1/repositories/' + full + '/', undefined, {'X-Docker-Token': 'true'});
        if ([200, 202, 204].indexOf(d.status) === -1) {
            console.log('       (cleanup: DELETE ' + full + ' -> ' + d.status + '; left behind)');
        }
    }
}

main().catch(function (e) {
    check(false, 'unexpected exception', errText(e) + '\n' + e.stack);
}).then(function () {
    console.log('\n' + passed + ' passed, ' + failed + ' failed');
    process.exit(failed ? 1 : 0);
});
