# Varnish 7 in front of Byline: keeps public answers for as long as their headers say,
# never keeps private ones, and drops exactly the answers a change touches when the Byline
# worker sends `PURGE` with an `xkey-purge` header (PURGE_BACKEND=varnish).
#
#   varnishd -a :6081 -f /etc/varnish/byline.vcl -s malloc,1g
#
# Needs the xkey vmod (Debian: varnish-modules). The Byline servers are named in
# backends.vcl beside this file (health-checked, a failed read retried on another), with
# the purgers ACL: the hosts that run the Byline worker.
vcl 4.1;

import std;
import xkey;

include "./backends.vcl";

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "An xkey-purge header is needed"));
        }
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    # Keyed readers (partners see their own sections and limits; a key may also come as
    # ?api_key= on feeds and the stream) and preview links are never answered from cache.
    if (req.http.Authorization || req.http.X-API-Key || req.url ~ "[?&](api_key|preview)=") {
        return (pass);
    }
    # The live stream goes straight through, unbuffered (see vcl_backend_response).
    if (req.url ~ "^/v1/feed/stream" || req.http.Accept ~ "text/event-stream") {
        return (pass);
    }
    # Everything else: the built-in rules (only GET and HEAD are looked up; a Cookie or an
    # Authorization header passes).
}

sub vcl_backend_response {
    # A host shutting down may answer 502/503 for a moment: another one answers instead.
    if (beresp.status >= 502 && beresp.status <= 504
        && bereq.method ~ "^(GET|HEAD)$" && bereq.retries < 2) {
        return (retry);
    }
    if (beresp.http.Content-Type ~ "^text/event-stream") {
        set beresp.do_stream = true;
        set beresp.do_gzip = false;
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # What is private to one reader, or not to be stored, is never kept (and a request for
    # it goes to Byline every time).
    if (beresp.http.Cache-Control ~ "(?i)(private|no-store|no-cache)"
        || beresp.http.Surrogate-Control ~ "(?i)no-store"
        || beresp.http.CDN-Cache-Control ~ "(?i)(private|no-store)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Varnish takes the lifetime from Cache-Control (s-maxage, else max-age); a header
    # meant for CDNs alone, when present, takes precedence: Surrogate-Control, then
    # CDN-Cache-Control (RFC 9213).
    if (beresp.http.Surrogate-Control ~ "(?i)max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "(?i)^.*max-age=([0-9]+).*$", "\1s"), beresp.ttl);
    } elsif (beresp.http.CDN-Cache-Control ~ "(?i)(s-)?max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.CDN-Cache-Control, "(?i)^.*max-age=([0-9]+).*$", "\1s"), beresp.ttl);
    }
    # stale-while-revalidate: a stale answer is served while a fresh one is fetched.
    if (beresp.http.Cache-Control ~ "(?i)stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "(?i)^.*stale-while-revalidate=([0-9]+).*$", "\1s"),
            beresp.grace);
    }
    # Kept a while past that, an answer with an ETag is revalidated with If-None-Match: an
    # unchanged answer costs Byline a 304 instead of a body.
    if (beresp.http.ETag) {
        set beresp.keep = 1h;
    }
    # The answer's surrogate keys index it for `xkey.purge`.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Anything else (a Set-Cookie, Vary: *): the built-in rules.
}

# A read that fails on one host (it went down before its health check said so) is tried
# on the next: a reader never sees it. Writes are never sent twice.
sub vcl_backend_error {
    if (bereq.method ~ "^(GET|HEAD)$" && bereq.retries < 2) {
        return (retry);
    }
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Surrogate-Control;
    if (obj.uncacheable) {
        set resp.http.X-Varnish-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Varnish-Cache = "HIT";
    } else {
        set resp.http.X-Varnish-Cache = "MISS";
    }
}
