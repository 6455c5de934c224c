//! The signature base string of RFC 5849 §3.4.1: method, base string URI and normalised parameters.

use url::Url;

use super::encode::{decode_form_pairs, percent_encode};

/// The base string URI of RFC 5849 §3.4.1.2: scheme and host in lower case, the port only when it
/// is not the scheme's default, the path as sent (a context path such as `/jira` included), and no
/// query or fragment.
///
/// ```
/// use jirasync_client::oauth1::base_string_uri;
/// let url = url::Url::parse("HTTPS://Jira.Example.COM:443/jira/rest/api/2/myself?expand=groups#top").unwrap();
/// assert_eq!(base_string_uri(&url), "https://jira.example.com/jira/rest/api/2/myself");
/// ```
pub fn base_string_uri(url: &Url) -> String {
    // `Url` already lower-cases the scheme and host and forgets a default port for http(s).
    let mut uri = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        uri.push(':');
        uri.push_str(&port.to_string());
    }
    uri.push_str(url.path());
    uri
}

/// Builds the signature base string for a request.
///
/// `oauth_params` are the protocol parameters that go in the `Authorization` header; `realm` and
/// `oauth_signature` among them are left out. The query parameters of `url` are added, decoded once.
/// `form_body` is the body of an `application/x-www-form-urlencoded` request and must be `None` for
/// any other body (a JSON body is never part of the signature). Parameters are percent-encoded and
/// sorted by name, then by value; repeated names are kept.
///
/// ```
/// use jirasync_client::oauth1::signature_base_string;
/// let url = url::Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b").unwrap();
/// let base = signature_base_string(
///     "post",
///     &url,
///     Some(b"c2&a3=2+q"),
///     &[
///         ("oauth_consumer_key", "9djdj82h48djs9d2"),
///         ("oauth_token", "kkk9d7dh3k39sjv7"),
///         ("oauth_signature_method", "HMAC-SHA1"),
///         ("oauth_timestamp", "137131201"),
///         ("oauth_nonce", "7d8f3e4a"),
///         ("realm", "Example"),
///     ],
/// );
/// assert_eq!(
///     base,
///     "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26\
///      b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26\
///      oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D\
///      137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
/// );
/// ```
pub fn signature_base_string(
    method: &str,
    url: &Url,
    form_body: Option<&[u8]>,
    oauth_params: &[(&str, &str)],
) -> String {
    let header_params = oauth_params
        .iter()
        .filter(|(name, _)| *name != "realm")
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
    let query_params = decode_form_pairs(url.query().unwrap_or_default().as_bytes());
    let body_params = form_body.into_iter().flat_map(decode_form_pairs);

    let mut params: Vec<(String, String)> = header_params
        .chain(query_params)
        .chain(body_params)
        // RFC 5849 §3.4.1.3.1: the signature itself is never signed, wherever it came from.
        .filter(|(name, _)| name != "oauth_signature")
        .map(|(name, value)| (percent_encode(&name), percent_encode(&value)))
        .collect();
    params.sort_unstable();

    let normalized = params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");

    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_string_uri(url)),
        percent_encode(&normalized)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn drops_default_port_and_keeps_other_ports() {
        assert_eq!(
            base_string_uri(&url("http://EXAMPLE.com:80/r")),
            "http://example.com/r"
        );
        assert_eq!(
            base_string_uri(&url("https://example.com:8443/r")),
            "https://example.com:8443/r"
        );
    }

    #[test]
    fn keeps_context_path() {
        assert_eq!(
            base_string_uri(&url(
                "https://example.com/jira/plugins/servlet/oauth/request-token"
            )),
            "https://example.com/jira/plugins/servlet/oauth/request-token"
        );
    }

    #[test]
    fn empty_path_becomes_slash() {
        assert_eq!(
            base_string_uri(&url("http://example.com")),
            "http://example.com/"
        );
    }

    #[test]
    fn query_signature_is_never_signed() {
        let base = signature_base_string(
            "GET",
            &url("http://e.com/?oauth_signature=x&a=1"),
            None,
            &[],
        );
        assert_eq!(base, "GET&http%3A%2F%2Fe.com%2F&a%3D1");
    }

    #[test]
    fn sorts_repeated_names_by_value() {
        let base = signature_base_string("GET", &url("http://e.com/?a=2&a=10&a=1"), None, &[]);
        assert_eq!(base, "GET&http%3A%2F%2Fe.com%2F&a%3D1%26a%3D10%26a%3D2");
    }
}
