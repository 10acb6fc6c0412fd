<?php
/**
 * A feed's options: every per-feed setting beyond its core fields, each defined once.
 *
 * One definition gives an option its group on the feed's screen, its type, default, label, help, the
 * checks its value must pass, and whether it travels to the worker in the run request (under the same
 * name, as contract/worker-api.json's RunRequest.options). The feeds table keeps them in one JSON
 * column; the Feed value, the REST API and the admin form show them as flat fields next to the core
 * ones. Each feature defines its options beside its own code and is listed in definitions().
 *
 * @package automationtools-ai
 */

namespace ATAI\Feed_Options;

use WP_Error;

/** The groups of the feed's screen, in order. */
const GROUPS = array( 'source', 'filters', 'post', 'ai', 'schedule' );

/** Longest text an option of type string takes. */
const STRING_MAX = 255;

/** Longest text an option of type text takes. */
const TEXT_MAX = 4000;

/**
 * Every option, by name.
 *
 * Each definition: group (one of GROUPS), type (boolean, integer, enum, string, text or list), default,
 * label, help; choices (value => label) for enum; minimum and maximum for integer; max_length for
 * string, text and list entries; max_items for list; check, a callable given the clean value that
 * returns '' or why the value is refused; check_feed, the same given the value and every clean value
 * of the feed, for a rule that depends on another option; worker, true when the worker needs it.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function definitions(): array {
	static $definitions = null;
	if ( null === $definitions ) {
		$definitions = array_merge(
			source_options(),
			\ATAI\Filters\feed_options(),
			\ATAI\Source_Changes\feed_options(),
			\ATAI\Embeds\feed_options(),
			\ATAI\Skips\feed_options(),
			\ATAI\Schedule\feed_options(),
			\ATAI\Post_Fields\feed_options(),
			\ATAI\Terms\feed_options(),
			\ATAI\Media\feed_options(),
			\ATAI\Attribution\feed_options(),
			\ATAI\Pace\feed_options(),
			\ATAI\Reviews\feed_options(),
			\ATAI\Prompts\feed_options()
		);
	}
	return $definitions;
}

/**
 * The options of where a feed's text comes from.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function source_options(): array {
	return array(
		'full_text' => array(
			'group'   => 'source',
			'type'    => 'enum',
			'default' => 'auto',
			'choices' => array(
				'auto'   => __( 'Only when the feed carries a summary', 'automationtools-ai' ),
				'always' => __( 'Always, from the article\'s page', 'automationtools-ai' ),
			),
			'label'   => __( 'Full article', 'automationtools-ai' ),
			'help'    => __( 'The article is taken from its page when the feed gives only a teaser. Choose "Always" for feeds whose text is cut short in other ways.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * Each option's default value.
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>
 */
function defaults(): array {
	return array_map( static fn( array $definition ) => $definition['default'], definitions() );
}

/**
 * Whether a name is an option's.
 *
 * @since 0.2.0
 */
function exists( string $name ): bool {
	return isset( definitions()[ $name ] );
}

/**
 * An option's label.
 *
 * @since 0.2.0
 */
function label( string $name ): string {
	return definitions()[ $name ]['label'] ?? $name;
}

/**
 * Check one option's value: its clean value, or a WP_Error whose message says why, without the label.
 *
 * @since 0.2.0
 *
 * @param string $name  Option name.
 * @param mixed  $value Raw value (from a form: strings; from REST: JSON types).
 * @return mixed|WP_Error
 */
function check( string $name, $value ) {
	$definition = definitions()[ $name ] ?? null;
	if ( null === $definition ) {
		return new WP_Error( 'atai_invalid_feed', __( 'unknown field.', 'automationtools-ai' ) );
	}
	$clean = clean_by_type( $definition, $value );
	if ( is_wp_error( $clean ) ) {
		return $clean;
	}
	$reason = isset( $definition['check'] ) ? (string) call_user_func( $definition['check'], $clean ) : '';
	return '' === $reason ? $clean : new WP_Error( 'atai_invalid_feed', $reason );
}

/**
 * The clean value of a definition's type, or why the value does not fit it.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $definition The option's definition.
 * @param mixed                $value      Raw value.
 * @return mixed|WP_Error
 */
function clean_by_type( array $definition, $value ) {
	switch ( $definition['type'] ) {
		case 'boolean':
			return rest_is_boolean( $value ) ? rest_sanitize_boolean( $value ) : refuse( __( 'choose on or off.', 'automationtools-ai' ) );

		case 'integer':
			$minimum = $definition['minimum'] ?? PHP_INT_MIN;
			$maximum = $definition['maximum'] ?? PHP_INT_MAX;
			if ( is_string( $value ) ) {
				$value = trim( $value );
			}
			if ( ! is_numeric( $value ) || (int) $value != $value || (int) $value < $minimum || (int) $value > $maximum ) { // phpcs:ignore Universal.Operators.StrictComparisons -- "10" and 10 are the same number here.
				/* translators: 1: smallest allowed number, 2: largest allowed number. */
				return refuse( sprintf( __( 'enter a whole number from %1$d to %2$d.', 'automationtools-ai' ), $minimum, $maximum ) );
			}
			return (int) $value;

		case 'enum':
			return is_string( $value ) && isset( $definition['choices'][ $value ] ) ? $value : refuse( __( 'choose one of the offered values.', 'automationtools-ai' ) );

		case 'string':
			return clean_text( $value, $definition['max_length'] ?? STRING_MAX, false );

		case 'text':
			return clean_text( $value, $definition['max_length'] ?? TEXT_MAX, true );

		case 'list':
			return clean_list( $value, $definition['max_length'] ?? STRING_MAX, $definition['max_items'] ?? 100 );
	}
	return refuse( __( 'unknown field.', 'automationtools-ai' ) );
}

/**
 * Text of at most $max_length characters; multi-line text keeps its line breaks.
 *
 * @since 0.2.0
 *
 * @param mixed $value      Raw value.
 * @param int   $max_length Longest accepted length.
 * @param bool  $lines      Whether line breaks are kept.
 * @return string|WP_Error
 */
function clean_text( $value, int $max_length, bool $lines ) {
	if ( ! is_scalar( $value ) ) {
		return refuse( __( 'enter text.', 'automationtools-ai' ) );
	}
	$text = $lines ? sanitize_textarea_field( (string) $value ) : sanitize_text_field( (string) $value );
	if ( mb_strlen( $text ) > $max_length ) {
		/* translators: %d: number of characters. */
		return refuse( sprintf( __( 'enter at most %d characters.', 'automationtools-ai' ), $max_length ) );
	}
	return $text;
}

/**
 * A list of distinct, non-empty entries: from REST a JSON array, from a form one entry a line.
 *
 * @since 0.2.0
 *
 * @param mixed $value      Raw value.
 * @param int   $max_length Longest entry.
 * @param int   $max_items  Most entries.
 * @return string[]|WP_Error
 */
function clean_list( $value, int $max_length, int $max_items ) {
	if ( is_string( $value ) ) {
		$value = preg_split( '/\R/u', $value );
	}
	if ( ! is_array( $value ) ) {
		return refuse( __( 'enter one entry a line.', 'automationtools-ai' ) );
	}
	$entries = array();
	foreach ( $value as $entry ) {
		if ( ! is_scalar( $entry ) ) {
			return refuse( __( 'enter one entry a line.', 'automationtools-ai' ) );
		}
		$entry = sanitize_text_field( (string) $entry );
		if ( '' === $entry ) {
			continue;
		}
		if ( mb_strlen( $entry ) > $max_length ) {
			/* translators: %d: number of characters. */
			return refuse( sprintf( __( 'each entry may have at most %d characters.', 'automationtools-ai' ), $max_length ) );
		}
		$entries[ $entry ] = $entry;
	}
	if ( count( $entries ) > $max_items ) {
		/* translators: %d: number of entries. */
		return refuse( sprintf( __( 'enter at most %d entries.', 'automationtools-ai' ), $max_items ) );
	}
	return array_values( $entries );
}

/**
 * A refusal of a value, in words.
 *
 * @since 0.2.0
 */
function refuse( string $reason ): WP_Error {
	return new WP_Error( 'atai_invalid_feed', $reason );
}

/**
 * The checks that read more than one value (definitions' check_feed): why each refused option is
 * refused, by name.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $values Every clean value of the feed.
 * @return array<string, string>
 */
function check_feed( array $values ): array {
	$reasons = array();
	foreach ( definitions() as $name => $definition ) {
		if ( isset( $definition['check_feed'], $values[ $name ] ) ) {
			$reason = (string) call_user_func( $definition['check_feed'], $values[ $name ], $values );
			if ( '' !== $reason ) {
				$reasons[ $name ] = $reason;
			}
		}
	}
	return $reasons;
}

/**
 * Options as stored (the feeds table's JSON column), read back through their checks: a value that no
 * longer passes (a choice since removed, a limit since lowered) and a missing one read as the default.
 *
 * @since 0.2.0
 *
 * @param string|null $stored The column's value.
 * @return array<string, mixed>
 */
function from_stored( ?string $stored ): array {
	$saved   = is_string( $stored ) && '' !== $stored ? json_decode( $stored, true ) : array();
	$saved   = is_array( $saved ) ? $saved : array();
	$options = defaults();
	foreach ( array_intersect_key( $saved, $options ) as $name => $value ) {
		$clean = check( $name, $value );
		if ( ! is_wp_error( $clean ) ) {
			$options[ $name ] = $clean;
		}
	}
	return $options;
}

/**
 * Options as the feeds table's JSON column keeps them.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $options Clean options.
 */
function to_stored( array $options ): string {
	return (string) wp_json_encode( array_intersect_key( $options, definitions() ) );
}

/**
 * The options the worker needs, as RunRequest.options.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $options Clean options.
 * @return array<string, mixed>
 */
function for_worker( array $options ): array {
	$names = array_keys( array_filter( definitions(), static fn( array $definition ) => ! empty( $definition['worker'] ) ) );
	return array_intersect_key( $options, array_flip( $names ) );
}

/**
 * The REST schema of each option.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function rest_properties(): array {
	$types      = array(
		'boolean' => 'boolean',
		'integer' => 'integer',
		'enum'    => 'string',
		'string'  => 'string',
		'text'    => 'string',
		'list'    => 'array',
	);
	$properties = array();
	foreach ( definitions() as $name => $definition ) {
		$property = array(
			'description' => $definition['label'] . ': ' . $definition['help'],
			'type'        => $types[ $definition['type'] ],
			'default'     => $definition['default'],
		);
		if ( 'enum' === $definition['type'] ) {
			$property['enum'] = array_keys( $definition['choices'] );
		}
		if ( 'list' === $definition['type'] ) {
			$property['items'] = array( 'type' => 'string' );
		}
		foreach ( array( 'minimum', 'maximum' ) as $bound ) {
			if ( isset( $definition[ $bound ] ) ) {
				$property[ $bound ] = $definition[ $bound ];
			}
		}
		$properties[ $name ] = $property;
	}
	return $properties;
}

/**
 * The options of one group of the feed's screen, in definition order.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function in_group( string $group ): array {
	return array_filter( definitions(), static fn( array $definition ) => $group === $definition['group'] );
}
