<?php
/**
 * A feed's filters: which new entries the worker leaves out before anything is fetched or paid for.
 *
 * The options travel to the worker (contract RunRequest.options), which applies them when it plans a
 * run and reports every entry it left out with the reason (Run.skipped); the ledger keeps them as
 * skipped items with that reason, shown in the feed's items list. The maximum posts per run is the
 * feed's max_posts field.
 *
 * Patterns are checked here when the feed is saved, by the same rules the worker applies: at most
 * PATTERN_MAX characters, no repeated group that itself repeats (the shape of catastrophic
 * backtracking), and a pattern PCRE can compile. The worker also cuts every search off after a
 * short time.
 *
 * @package automationtools-ai
 */

namespace ATAI\Filters;

/** Longest keyword or pattern, as in the contract. */
const PATTERN_MAX = 200;

/** Most keywords in one list, as in the contract. */
const KEYWORDS_MAX = 100;

/**
 * The filter options.
 *
 * @since 0.3.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	$keywords = array(
		'group'      => 'filters',
		'type'       => 'list',
		'default'    => array(),
		'max_length' => PATTERN_MAX,
		'max_items'  => KEYWORDS_MAX,
		'check_feed' => __NAMESPACE__ . '\\keywords_problem',
		'worker'     => true,
	);
	return array(
		'include_keywords'      => array(
			'label' => __( 'Only entries with', 'automationtools-ai' ),
			'help'  => __( 'One keyword or phrase a line. When there are any, an entry is kept only if it contains one of them (or all of them, below). Matching ignores case.', 'automationtools-ai' ),
		) + $keywords,
		'exclude_keywords'      => array(
			'label' => __( 'Never entries with', 'automationtools-ai' ),
			'help'  => __( 'One keyword or phrase a line. An entry that contains any of them is left out, whatever else it contains.', 'automationtools-ai' ),
		) + $keywords,
		'keywords_in'           => array(
			'group'   => 'filters',
			'type'    => 'enum',
			'default' => 'both',
			'choices' => array(
				'both'    => __( 'The title and the text', 'automationtools-ai' ),
				'title'   => __( 'The title only', 'automationtools-ai' ),
				'content' => __( 'The text only', 'automationtools-ai' ),
			),
			'label'   => __( 'Look for keywords in', 'automationtools-ai' ),
			'help'    => __( 'The text is what the feed carries (its content, else its summary).', 'automationtools-ai' ),
			'worker'  => true,
		),
		'include_match'         => array(
			'group'   => 'filters',
			'type'    => 'enum',
			'default' => 'any',
			'choices' => array(
				'any' => __( 'Any one of them is enough', 'automationtools-ai' ),
				'all' => __( 'All of them must be there', 'automationtools-ai' ),
			),
			'label'   => __( 'Of the "only entries with" keywords', 'automationtools-ai' ),
			'help'    => '',
			'worker'  => true,
		),
		'whole_words'           => array(
			'group'   => 'filters',
			'type'    => 'boolean',
			'default' => true,
			'label'   => __( 'Whole words', 'automationtools-ai' ),
			'box'     => __( 'Match whole words only ("art" does not match "party")', 'automationtools-ai' ),
			'help'    => '',
			'worker'  => true,
		),
		'keywords_are_patterns' => array(
			'group'   => 'filters',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Regular expressions', 'automationtools-ai' ),
			'box'     => __( 'Each keyword line is a regular expression', 'automationtools-ai' ),
			'help'    => __( 'For example \d+-\d+ for a score. A pattern that repeats a repeated group, such as (a+)+, is refused: it can take forever on some text.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'max_age_days'          => array(
			'group'   => 'filters',
			'type'    => 'integer',
			'default' => 0,
			'minimum' => 0,
			'maximum' => 3650,
			'label'   => __( 'Maximum age in days', 'automationtools-ai' ),
			'help'    => __( 'Entries published longer ago are left out; 0 takes entries of any age. Entries without a date are kept.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'min_words'             => array(
			'group'   => 'filters',
			'type'    => 'integer',
			'default' => 0,
			'minimum' => 0,
			'maximum' => 100000,
			'label'   => __( 'Minimum length in words', 'automationtools-ai' ),
			'help'    => __( 'Counted in the text the feed carries, before any article is fetched: for a feed of short summaries, keep this low. 0 takes any length.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * Why a list of keywords cannot be used with the feed's other values, or '': when keywords are
 * regular expressions, each must pass pattern_problem().
 *
 * @since 0.3.0
 *
 * @param string[]             $keywords Clean keyword lines.
 * @param array<string, mixed> $values   The feed's clean values.
 */
function keywords_problem( array $keywords, array $values ): string {
	if ( empty( $values['keywords_are_patterns'] ) ) {
		return '';
	}
	foreach ( $keywords as $keyword ) {
		$problem = pattern_problem( $keyword );
		if ( '' !== $problem ) {
			/* translators: 1: the pattern as typed, 2: why it is refused. */
			return sprintf( __( 'the pattern "%1$s" cannot be used: %2$s.', 'automationtools-ai' ), $keyword, $problem );
		}
	}
	return '';
}

/**
 * Why a regular expression is refused, or '': too long, a repeated group that repeats inside, or not
 * compilable. The same rules as the worker's filters.pattern_problem().
 *
 * @since 0.3.0
 */
function pattern_problem( string $pattern ): string {
	if ( mb_strlen( $pattern ) > PATTERN_MAX ) {
		/* translators: %d: number of characters. */
		return sprintf( __( 'it is longer than %d characters', 'automationtools-ai' ), PATTERN_MAX );
	}
	if ( nests_repetition( $pattern ) ) {
		return __( 'it repeats a group that already repeats (such as (a+)+), which can take forever', 'automationtools-ai' );
	}
	// Any delimiter works for PCRE; one the pattern does not contain needs no escaping.
	$delimiter = str_contains( $pattern, '~' ) ? "\x01" : '~';
	// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a pattern that does not compile is the answer we want, not a warning in the log.
	if ( false === @preg_match( $delimiter . $pattern . $delimiter . 'iu', '' ) ) {
		return __( 'it is not a valid regular expression', 'automationtools-ai' );
	}
	return '';
}

/**
 * Whether a group holding an unbounded repetition (+, *, {n,}) is itself repeated.
 *
 * @since 0.3.0
 */
function nests_repetition( string $pattern ): bool {
	$groups   = array();
	$in_class = false;
	$length   = strlen( $pattern );
	for ( $i = 0; $i < $length; ++$i ) {
		$char = $pattern[ $i ];
		if ( '\\' === $char ) {
			++$i;
			continue;
		}
		if ( $in_class ) {
			$in_class = ']' !== $char;
		} elseif ( '[' === $char ) {
			$in_class = true;
			if ( ']' === ( $pattern[ $i + 1 ] ?? '' ) ) {
				++$i;
			}
		} elseif ( '(' === $char ) {
			$groups[] = false;
		} elseif ( ')' === $char && $groups ) {
			$repeats_inside = array_pop( $groups );
			if ( $repeats_inside && repeats_at( $pattern, $i + 1 ) ) {
				return true;
			}
			if ( $repeats_inside && $groups ) {
				$groups[ count( $groups ) - 1 ] = true;
			}
		} elseif ( $groups && unbounded_at( $pattern, $i ) ) {
			$groups[ count( $groups ) - 1 ] = true;
		}
	}
	return false;
}

/**
 * Whether a quantifier without an upper bound starts at this position.
 *
 * @since 0.3.0
 */
function unbounded_at( string $pattern, int $position ): bool {
	$char = $pattern[ $position ];
	if ( '*' === $char || '+' === $char ) {
		return true;
	}
	return '{' === $char && 1 === preg_match( '/\G\{\d+,\}/', $pattern, $match, 0, $position );
}

/**
 * Whether a quantifier allowing more than one repetition starts at this position.
 *
 * @since 0.3.0
 */
function repeats_at( string $pattern, int $position ): bool {
	$char = $pattern[ $position ] ?? '';
	if ( '*' === $char || '+' === $char ) {
		return true;
	}
	if ( '{' !== $char || 1 !== preg_match( '/\G\{(\d+)(,(\d*))?\}/', $pattern, $match, 0, $position ) ) {
		return false;
	}
	$low  = (int) $match[1];
	$high = $match[3] ?? '';
	return $low > 1 || ( isset( $match[2] ) && ( '' === $high || (int) $high > 1 ) );
}
