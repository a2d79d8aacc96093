// A third-party SCIM 2.0 server for groupsync's tests: SCIMMY resources
// served by scimmy-routers on express, with an in-memory store.
//
// It is deliberately not written by the groupsync client's authors' rules:
// it is what an application built on a popular SCIM library would expose,
// plus a few checks that strict providers make (unique userName compared
// case-insensitively, unique group displayName, members must be known users).
//
// Environment:
//   PORT        port to listen on, on 127.0.0.1 (default 0: any free port)
//   SCIM_TOKEN  bearer token every request must carry (required)
//   MAX_RESULTS filter.maxResults advertised and enforced (default 50)
//   SCIM_BULK_MAX_OPERATIONS  when a positive integer, Bulk is on with this
//               maxOperations (served by scimmy-routers' /Bulk); unset or 0,
//               Bulk is off and /Bulk answers 501
//
// Once listening it prints one line to stdout: "listening http://127.0.0.1:PORT/scim/v2".
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const token = process.env.SCIM_TOKEN;
if (!token) {
    console.error("SCIM_TOKEN must be set");
    process.exit(2);
}
const maxResults = Number.parseInt(process.env.MAX_RESULTS ?? "50", 10);
const bulkMaxOperations = Number.parseInt(process.env.SCIM_BULK_MAX_OPERATIONS ?? "0", 10);
if (Number.isNaN(bulkMaxOperations) || bulkMaxOperations < 0) {
    console.error("SCIM_BULK_MAX_OPERATIONS must be a non-negative integer");
    process.exit(2);
}

const users = new Map();
const groups = new Map();

// plain turns a SCIMMY schema instance into plain JSON data.
const plain = (instance) => JSON.parse(JSON.stringify(instance));

const scimError = (status, scimType, message) => new SCIMMY.Types.Error(status, scimType, message);

const now = () => new Date().toISOString();

// list applies the request's filter to a store, as egress handlers must.
const list = (store, resource) => {
    const all = [...store.values()];
    if (resource.id) {
        const found = store.get(resource.id);
        if (!found) throw scimError(404, null, `Resource ${resource.id} not found`);
        return found;
    }
    const matched = resource.filter ? resource.filter.match(all) : all;
    // Enforce the advertised page size, as providers do, instead of trusting count.
    const count = Math.min(resource.constraints?.count ?? maxResults, maxResults);
    resource.constraints = {...(resource.constraints ?? {}), count};
    return matched;
};

SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, instance) => {
        const data = plain(instance);
        delete data.meta;
        if (!data.userName) throw scimError(400, "invalidValue", "userName is required");
        const clash = [...users.values()].find(u =>
            u.userName.toLowerCase() === data.userName.toLowerCase() && u.id !== resource.id);
        if (clash) throw scimError(409, "uniqueness", `userName ${data.userName} is already taken`);
        if (resource.id) {
            const old = users.get(resource.id);
            if (!old) throw scimError(404, null, `Resource ${resource.id} not found`);
            const updated = {...data, id: old.id, meta: {...old.meta, lastModified: now()}};
            users.set(old.id, updated);
            return updated;
        }
        const created = {...data, id: randomUUID(), meta: {created: now(), lastModified: now()}};
        users.set(created.id, created);
        return created;
    })
    .egress((resource) => list(users, resource))
    .degress((resource) => {
        if (!users.delete(resource.id)) throw scimError(404, null, `Resource ${resource.id} not found`);
        for (const g of groups.values()) {
            g.members = (g.members ?? []).filter(m => m.value !== resource.id);
        }
    });

SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance) => {
        const data = plain(instance);
        delete data.meta;
        if (!data.displayName) throw scimError(400, "invalidValue", "displayName is required");
        const clash = [...groups.values()].find(g =>
            g.displayName.toLowerCase() === data.displayName.toLowerCase() && g.id !== resource.id);
        if (clash) throw scimError(409, "uniqueness", `displayName ${data.displayName} is already taken`);
        const members = [];
        const seen = new Set();
        for (const m of data.members ?? []) {
            if (!m.value || !users.has(m.value)) {
                throw scimError(400, "invalidValue", `member ${JSON.stringify(m.value ?? "")} is not a known user`);
            }
            if (seen.has(m.value)) continue;
            seen.add(m.value);
            members.push({value: m.value, type: "User"});
        }
        data.members = members;
        if (resource.id) {
            const old = groups.get(resource.id);
            if (!old) throw scimError(404, null, `Resource ${resource.id} not found`);
            const updated = {...data, id: old.id, meta: {...old.meta, lastModified: now()}};
            groups.set(old.id, updated);
            return updated;
        }
        const created = {...data, id: randomUUID(), meta: {created: now(), lastModified: now()}};
        groups.set(created.id, created);
        return created;
    })
    .egress((resource) => list(groups, resource))
    .degress((resource) => {
        if (!groups.delete(resource.id)) throw scimError(404, null, `Resource ${resource.id} not found`);
    });

const app = express();
app.disable("x-powered-by");
// Express 5 re-parses req.query on every read, so the router's cast of
// startIndex and count to numbers is lost and SCIMMY ignores startIndex
// (every page would be the first). Parse them as numbers here instead.
app.set("query parser", (str) => {
    const query = Object.fromEntries(new URLSearchParams(str));
    for (const key of ["startIndex", "count"]) {
        if (query[key] !== undefined && query[key] !== "" && !Number.isNaN(+query[key])) query[key] = +query[key];
    }
    return query;
});
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) {
            throw new Error("Bearer token missing or invalid");
        }
        return "groupsync-tests";
    },
}));
// The router enables bulk and a page size of its own; advertise what this
// store does. A number for bulk is SCIMMY's shorthand for supported with
// that maxOperations (maxPayloadSize stays at its default of 1 MiB).
SCIMMY.Config.set({bulk: bulkMaxOperations > 0 ? bulkMaxOperations : false, filter: maxResults, etag: false});

const server = app.listen(Number.parseInt(process.env.PORT ?? "0", 10), "127.0.0.1", () => {
    console.log(`listening http://127.0.0.1:${server.address().port}/scim/v2`);
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
