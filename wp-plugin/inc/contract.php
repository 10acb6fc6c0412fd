<?php
/**
 * The worker API contract (contract/worker-api.json): its schemas, with $ref resolved, and validation;
 * and the HTML a draft may hold.
 *
 * The contract uses only JSON Schema keywords that rest_validate_value_from_schema() understands,
 * so WordPress's own validator checks every worker response before the plugin uses it.
 *
 * @package automationtools-ai
 */

namespace ATAI\Contract;

use WP_Error;

const FILE       = 'contract/worker-api.json';
const REF_PREFIX = '#/components/schemas/';

/**
 * The contract document, decoded once per request.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function document(): array {
	static $document = null;
	if ( null === $document ) {
		$json     = file_get_contents( \ATAI\PLUGIN_DIR . '/' . FILE ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file of the plugin.
		$document = is_string( $json ) ? json_decode( $json, true ) : null;
		if ( ! is_array( $document ) ) {
			$document = array();
		}
	}
	return $document;
}

/**
 * The HTML a draft may hold, from the contract's "x-atai-html": the worker's sanitizer keeps exactly
 * these tags, attributes by tag and URL schemes, and the plugin's narrow-HTML check reads the same
 * lists, so the two cannot drift apart. Empty lists when the key is missing: then nothing passes
 * as narrow and every draft goes through wp_kses_post().
 *
 * @since 0.1.0
 *
 * @return array{tags: string[], attributes: array<string, string[]>, url_schemes: string[]}
 */
function allowed_html(): array {
	$allowed = document()['x-atai-html'] ?? array();
	return array(
		'tags'        => is_array( $allowed['tags'] ?? null ) ? $allowed['tags'] : array(),
		'attributes'  => is_array( $allowed['attributes'] ?? null ) ? $allowed['attributes'] : array(),
		'url_schemes' => is_array( $allowed['url_schemes'] ?? null ) ? $allowed['url_schemes'] : array(),
	);
}

/**
 * One schema of #/components/schemas with every $ref replaced by the schema it names.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function schema( string $name ): array {
	static $resolved = array();
	if ( ! isset( $resolved[ $name ] ) ) {
		$schemas = document()['components']['schemas'] ?? array();
		if ( ! isset( $schemas[ $name ] ) ) {
			// A missing schema is a packaging fault; validating against it must fail, never pass.
			return array(
				'type' => 'null',
				'enum' => array( 'missing schema ' . $name ),
			);
		}
		$resolved[ $name ] = resolve( $schemas[ $name ], array( $name ) );
	}
	return $resolved[ $name ];
}

/**
 * Replace $ref nodes recursively (the contract's refs point only into #/components/schemas: at a schema,
 * or by JSON pointer at a part of one).
 *
 * @since 0.1.0
 *
 * @param mixed    $node  A schema or part of one.
 * @param string[] $trail Schemas being resolved, to stop on a cycle.
 * @return mixed
 */
function resolve( $node, array $trail ) {
	if ( ! is_array( $node ) ) {
		return $node;
	}
	if ( isset( $node['$ref'] ) && is_string( $node['$ref'] ) && str_starts_with( $node['$ref'], REF_PREFIX ) ) {
		// A schema's name, or a JSON pointer into one (e.g. RunRequest/properties/ai).
		$pointer = substr( $node['$ref'], strlen( REF_PREFIX ) );
		$target  = document()['components']['schemas'] ?? array();
		foreach ( explode( '/', $pointer ) as $step ) {
			$step   = str_replace( array( '~1', '~0' ), array( '/', '~' ), $step );
			$target = is_array( $target ) && isset( $target[ $step ] ) ? $target[ $step ] : null;
		}
		if ( in_array( $pointer, $trail, true ) || ! is_array( $target ) ) {
			return array( 'type' => 'null' );
		}
		return resolve( $target, array_merge( $trail, array( $pointer ) ) );
	}
	foreach ( $node as $keyword => $child ) {
		$node[ $keyword ] = resolve( $child, $trail );
	}
	return $node;
}

/**
 * Check a decoded JSON value against a contract schema.
 *
 * @since 0.1.0
 *
 * @param string $name  Schema name, e.g. 'Run'.
 * @param mixed  $value The value (decoded as associative arrays).
 * @param string $param Name of the value in messages.
 * @return true|WP_Error The validator's error names the offending field, e.g. "Run[drafts][0][title]".
 */
function validate( string $name, $value, string $param = '' ) {
	return rest_validate_value_from_schema( $value, schema( $name ), '' === $param ? $name : $param );
}
