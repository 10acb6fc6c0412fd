<?php
/**
 * The worker's messages in the site's language: each comes with a stable code and its variable parts
 * (contract MessageParams); codes listed here are worded through __(), others keep the worker's English.
 *
 * Messages are worded when the plugin records them (a run's error on its feed, an item's error in the
 * ledger), so they read in the site's language wherever they are shown.
 *
 * @package automationtools-ai
 */

namespace ATAI\Messages;

/**
 * The translatable wording of the codes we know, with {name} placeholders for their params.
 *
 * @since 0.2.0
 *
 * @return array<string, string>
 */
function templates(): array {
	return array(
		/* translators: Keep {status} and {url}: the HTTP status and the feed's address. */
		'http_error'         => __( 'fetch: got {status} from {url}', 'automationtools-ai' ),
		/* translators: Keep {redirects} and {url}: the largest number of redirects followed, and the first address. */
		'too_many_redirects' => __( 'fetch: more than {redirects} redirects starting at {url}', 'automationtools-ai' ),
		/* translators: Keep {url} and {address}: the address refused, and the IP address its host has. */
		'blocked_address'    => __( 'fetch: refused to fetch {url}: {address} is not a public address (add the host to ATAI_ALLOWED_HOSTS to allow it)', 'automationtools-ai' ),
		/* translators: Keep {url} and {seconds}. */
		'timeout'            => __( 'fetch: {url} did not answer in full within {seconds} s (ATAI_FETCH_TIMEOUT)', 'automationtools-ai' ),
		/* translators: Keep {url} and {reason}: the address, and the network's reason in English. */
		'connection_failed'  => __( 'fetch: could not get {url}: {reason}', 'automationtools-ai' ),
		/* translators: Keep {stage} and {seconds}: the worker's stage (parse, extract, rewrite...) and its time budget. */
		'stage_timeout'      => __( '{stage}: this took longer than {seconds} s, the time budget of one stage (ATAI_STAGE_BUDGET); it was given up', 'automationtools-ai' ),
	);
}

/**
 * A message of the worker in the site's language when its code is known and its params fill the wording,
 * else the worker's own English text.
 *
 * @since 0.2.0
 *
 * @param string $code    The message's code.
 * @param mixed  $params  Its params (contract MessageParams), or null.
 * @param string $english The worker's message.
 */
function text( string $code, $params, string $english ): string {
	$template = templates()[ $code ] ?? null;
	if ( null === $template || ! is_array( $params ) ) {
		return $english;
	}
	preg_match_all( '/\{([a-z_]+)\}/', $template, $names );
	$pairs = array();
	foreach ( $names[1] as $name ) {
		$value = $params[ $name ] ?? null;
		if ( ! is_scalar( $value ) ) {
			return $english;
		}
		$pairs[ '{' . $name . '}' ] = is_float( $value ) ? number_format_i18n( $value, floor( $value ) === $value ? 0 : 1 ) : (string) $value;
	}
	return strtr( $template, $pairs );
}

/**
 * A message array from the worker (ItemError, Run.error) with its message worded by text().
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $message Has code, message and maybe params.
 * @return array<string, mixed>
 */
function localized( array $message ): array {
	$message['message'] = text( (string) ( $message['code'] ?? '' ), $message['params'] ?? null, (string) ( $message['message'] ?? '' ) );
	return $message;
}

/**
 * Several such messages (a run's item errors).
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $messages Messages.
 * @return array<int, array<string, mixed>>
 */
function localized_all( array $messages ): array {
	return array_map( __NAMESPACE__ . '\\localized', $messages );
}
