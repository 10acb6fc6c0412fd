<?php
/**
 * What the AI costs: each item's model calls priced at its model's rate, sums per feed and per month, and the
 * monthly budget that pauses rewriting when it is spent.
 *
 * The worker reports every call's tokens (Draft.usage / ItemError.usage, by purpose and model, answers it
 * threw away included); a call answered from its store of earlier answers is marked cached and costs
 * nothing. One row per item and run in {prefix}atai_costs, written in the transaction that makes the
 * item's post, so a draft collected twice is counted once. Amounts are whole micro-dollars.
 *
 * @package automationtools-ai
 */

namespace ATAI\Costs;

use ATAI\Clock;
use ATAI\Schema;
use ATAI\Settings;
use WP_Error;

/**
 * Default prices in US dollars per million tokens (input, output): OpenAI's API pricing page, standard tier,
 * as published in August 2025. They change; the site owner edits them on the settings page. Models not
 * listed (local models, other providers) cost nothing until a price is added for them.
 */
const DEFAULT_PRICES = array(
	'gpt-4o-mini'   => array( 0.15, 0.60 ),
	'gpt-4o'        => array( 2.50, 10.00 ),
	'gpt-4.1'       => array( 2.00, 8.00 ),
	'gpt-4.1-mini'  => array( 0.40, 1.60 ),
	'gpt-4.1-nano'  => array( 0.10, 0.40 ),
	'gpt-5'         => array( 1.25, 10.00 ),
	'gpt-5-mini'    => array( 0.25, 2.00 ),
	'gpt-5-nano'    => array( 0.05, 0.40 ),
	'o4-mini'       => array( 1.10, 4.40 ),
	'o3'            => array( 2.00, 8.00 ),
	'gpt-3.5-turbo' => array( 0.50, 1.50 ),
);

/** Most models a price list holds. */
const MAX_PRICES = 200;

/**
 * The default price list as the settings field shows it.
 *
 * @since 0.2.0
 */
function default_prices_text(): string {
	return prices_text( DEFAULT_PRICES );
}

/**
 * A price list as text: one model a line, its input and output price per million tokens.
 *
 * @since 0.2.0
 *
 * @param array<string, array{0: float, 1: float}> $prices Prices by model.
 */
function prices_text( array $prices ): string {
	$lines = array();
	foreach ( $prices as $model => $price ) {
		$lines[] = sprintf( '%s %s %s', $model, money( (float) $price[0] ), money( (float) $price[1] ) );
	}
	return implode( "\n", $lines );
}

/**
 * A price as few digits as it needs (0.15, 2.5, 10).
 *
 * @since 0.2.0
 */
function money( float $amount ): string {
	return rtrim( rtrim( number_format( $amount, 4, '.', '' ), '0' ), '.' );
}

/**
 * Read a price list typed on the settings page: "model input output" a line, "#" starts a comment.
 *
 * @since 0.2.0
 *
 * @param string $text The field's text.
 * @return array<string, array{0: float, 1: float}>|WP_Error Prices by model, or which line is wrong.
 */
function parse_prices( string $text ) {
	$prices = array();
	foreach ( preg_split( '/\R/u', $text ) as $number => $line ) {
		$line = trim( preg_replace( '/#.*$/u', '', $line ) ?? '' );
		if ( '' === $line ) {
			continue;
		}
		$parts = preg_split( '/[\s:;|]+/u', str_replace( '$', '', $line ) );
		if ( 3 !== count( $parts ) || ! is_numeric( $parts[1] ) || ! is_numeric( $parts[2] ) || (float) $parts[1] < 0 || (float) $parts[2] < 0 || strlen( $parts[0] ) > 200 ) {
			return new WP_Error(
				'atai_invalid_prices',
				/* translators: 1: line number, 2: the line. */
				sprintf( __( 'line %1$d ("%2$s") should be a model name and two prices in dollars per million tokens, input then output, for example "gpt-4o-mini 0.15 0.60".', 'automationtools-ai' ), $number + 1, $line )
			);
		}
		$prices[ sanitize_text_field( $parts[0] ) ] = array( (float) $parts[1], (float) $parts[2] );
	}
	if ( count( $prices ) > MAX_PRICES ) {
		/* translators: %d: most models. */
		return new WP_Error( 'atai_invalid_prices', sprintf( __( 'list at most %d models.', 'automationtools-ai' ), MAX_PRICES ) );
	}
	return $prices;
}

/**
 * The prices in use.
 *
 * @since 0.2.0
 *
 * @return array<string, array{0: float, 1: float}>
 */
function prices(): array {
	$prices = parse_prices( (string) Settings\get( Settings\AI_PRICES ) );
	return is_wp_error( $prices ) ? DEFAULT_PRICES : $prices;
}

/**
 * A model's price: the exact name, else the longest listed name it starts with ("gpt-4o-mini-2024-07-18"
 * is priced as gpt-4o-mini), else null.
 *
 * @since 0.2.0
 *
 * @param string                                   $model  Model name as the endpoint reported it.
 * @param array<string, array{0: float, 1: float}> $prices Prices by model.
 * @return array{0: float, 1: float}|null
 */
function price_of( string $model, array $prices ): ?array {
	$model = strtolower( $model );
	$found = null;
	$best  = -1;
	foreach ( $prices as $name => $price ) {
		$name = strtolower( (string) $name );
		if ( $model === $name ) {
			return $price;
		}
		if ( str_starts_with( $model, $name . '-' ) && strlen( $name ) > $best ) {
			$found = $price;
			$best  = strlen( $name );
		}
	}
	return $found;
}

/**
 * What a Usage cost: tokens and micro-dollars, the models used, and whether some model had no price.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed>|null $usage         A contract Usage.
 * @param string|null               $default_model The draft's model, for a Usage without calls.
 * @return array{prompt_tokens: int, completion_tokens: int, micros: int, unpriced: bool, model: string}|null
 */
function price_usage( ?array $usage, ?string $default_model ): ?array {
	if ( null === $usage ) {
		return null;
	}
	$calls = $usage['calls'] ?? array(
		array(
			'model'             => (string) $default_model,
			'prompt_tokens'     => (int) $usage['prompt_tokens'],
			'completion_tokens' => (int) $usage['completion_tokens'],
			'cached'            => false,
		),
	);
	$prices = prices();
	$result = array(
		'prompt_tokens'     => (int) $usage['prompt_tokens'],
		'completion_tokens' => (int) $usage['completion_tokens'],
		'micros'            => 0,
		'unpriced'          => false,
		'model'             => (string) $default_model,
	);
	$models = array();
	foreach ( $calls as $call ) {
		$models[ (string) $call['model'] ] = true;
		if ( ! empty( $call['cached'] ) ) {
			continue;
		}
		$price = price_of( (string) $call['model'], $prices );
		if ( null === $price ) {
			$result['unpriced'] = true;
			continue;
		}
		// Dollars per million tokens are micro-dollars per token.
		$result['micros'] += (int) round( (int) $call['prompt_tokens'] * $price[0] + (int) $call['completion_tokens'] * $price[1] );
	}
	if ( '' === $result['model'] && $models ) {
		$result['model'] = (string) array_key_first( $models );
	}
	return $result;
}

/**
 * The current month in the site's time zone, as costs are filed ("2025-08").
 *
 * @since 0.2.0
 */
function this_month(): string {
	return wp_date( 'Y-m' );
}

/**
 * File what an item's calls cost in one run (idempotent: the same item and run is filed once).
 *
 * Called inside the import's transaction for a draft, so the cost and the post are stored together.
 *
 * @since 0.2.0
 *
 * @param string                    $key     Item key.
 * @param string                    $run_id  Run ID.
 * @param int                       $feed_id Feed ID.
 * @param int                       $post_id The item's post, 0 for an item error.
 * @param array<string, mixed>|null $priced  price_usage()'s result.
 */
function record( string $key, string $run_id, int $feed_id, int $post_id, ?array $priced ): bool {
	global $wpdb;
	if ( null === $priced ) {
		return true;
	}
	$table = Schema\costs_table();
	return false !== $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"INSERT IGNORE INTO {$table} (item_key, run_id, feed_id, post_id, month, model, prompt_tokens, completion_tokens, cost_micros, unpriced, created_at) VALUES (%s, %s, %d, %d, %s, %s, %d, %d, %d, %d, %s)",
			$key,
			$run_id,
			$feed_id,
			$post_id,
			this_month(),
			mb_substr( $priced['model'], 0, 200 ),
			$priced['prompt_tokens'],
			$priced['completion_tokens'],
			$priced['micros'],
			$priced['unpriced'] ? 1 : 0,
			Clock\utc()
		)
	);
}

/**
 * File the cost of a run's item errors that carried usage (answers thrown away, a relevance pass).
 *
 * @since 0.2.0
 *
 * @param int                              $feed_id Feed ID.
 * @param string                           $run_id  Run ID.
 * @param array<int, array<string, mixed>> $errors  Run.errors.
 */
function record_errors( int $feed_id, string $run_id, array $errors ): void {
	foreach ( $errors as $error ) {
		if ( ! empty( $error['usage'] ) ) {
			record( $error['key'], $run_id, $feed_id, 0, price_usage( $error['usage'], null ) );
		}
	}
}

/**
 * Micro-dollars spent in a month, all feeds.
 *
 * @since 0.2.0
 */
function spent( ?string $month = null ): int {
	global $wpdb;
	$table = Schema\costs_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COALESCE(SUM(cost_micros), 0) FROM {$table} WHERE month = %s", $month ?? this_month() ) );
}

/**
 * Sums by month, newest first: posts and items counted, tokens, micro-dollars.
 *
 * @since 0.2.0
 *
 * @return array<int, array{month: string, items: int, tokens: int, micros: int, unpriced: int}>
 */
function by_month( int $months = 12 ): array {
	global $wpdb;
	$table = Schema\costs_table();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT month, COUNT(DISTINCT item_key) AS items, SUM(prompt_tokens + completion_tokens) AS tokens, SUM(cost_micros) AS micros, SUM(unpriced) AS unpriced FROM {$table} GROUP BY month ORDER BY month DESC LIMIT %d",
			$months
		),
		ARRAY_A
	);
	return array_map( __NAMESPACE__ . '\\typed', $rows ?: array() );
}

/**
 * Sums by feed for some feeds: this month's and all time.
 *
 * @since 0.2.0
 *
 * @param int[] $feed_ids Feed IDs.
 * @return array<int, array{month: int, total: int, items: int, unpriced: int}> Micro-dollars by feed ID (every given ID present).
 */
function by_feed( array $feed_ids ): array {
	global $wpdb;
	$feed_ids = array_values( array_unique( array_map( 'intval', $feed_ids ) ) );
	$sums     = array_fill_keys(
		$feed_ids,
		array(
			'month'    => 0,
			'total'    => 0,
			'items'    => 0,
			'unpriced' => 0,
		)
	);
	if ( ! $feed_ids ) {
		return $sums;
	}
	$table = Schema\costs_table();
	$in    = implode( ',', $feed_ids );
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours and the IDs are integers.
			"SELECT feed_id, SUM(IF(month = %s, cost_micros, 0)) AS month, SUM(cost_micros) AS total, COUNT(DISTINCT item_key) AS items, SUM(unpriced) AS unpriced FROM {$table} WHERE feed_id IN ({$in}) GROUP BY feed_id",
			this_month()
		),
		ARRAY_A
	);
	foreach ( $rows ?: array() as $row ) {
		$sums[ (int) $row['feed_id'] ] = array(
			'month'    => (int) $row['month'],
			'total'    => (int) $row['total'],
			'items'    => (int) $row['items'],
			'unpriced' => (int) $row['unpriced'],
		);
	}
	return $sums;
}

/**
 * A row of by_month() with integers.
 *
 * @since 0.2.0
 *
 * @param array<string, string> $row Row.
 * @return array{month: string, items: int, tokens: int, micros: int, unpriced: int}
 */
function typed( array $row ): array {
	return array(
		'month'    => (string) $row['month'],
		'items'    => (int) $row['items'],
		'tokens'   => (int) $row['tokens'],
		'micros'   => (int) $row['micros'],
		'unpriced' => (int) $row['unpriced'],
	);
}

/**
 * Micro-dollars as dollars for people: "$0.0123", "$4.20", "$1,250.00".
 *
 * @since 0.2.0
 */
function dollars( int $micros ): string {
	$amount = $micros / 1000000;
	if ( $amount > 0 && $amount < 1 ) {
		return '$' . number_format_i18n( $amount, 4 );
	}
	return '$' . number_format_i18n( $amount, 2 );
}

/**
 * The monthly budget in micro-dollars; 0 means none.
 *
 * @since 0.2.0
 */
function budget_micros(): int {
	return (int) round( (float) Settings\get( Settings\AI_BUDGET ) * 1000000 );
}

/**
 * Whether rewriting waits: AI is on and this month's budget is spent.
 *
 * @since 0.2.0
 */
function paused(): bool {
	$budget = budget_micros();
	return $budget > 0 && (bool) Settings\get( Settings\AI_ENABLED ) && spent() >= $budget;
}

/**
 * Why a feed is not sent to the worker while rewriting waits, in words.
 *
 * @since 0.2.0
 */
function paused_error(): WP_Error {
	return new WP_Error(
		'atai_budget_reached',
		sprintf(
			/* translators: 1: amount spent, 2: the monthly budget. */
			__( 'AI rewriting waits: this month\'s AI budget is spent (%1$s of %2$s). New entries stay in their feed and are rewritten when the budget is raised in Settings or the next month begins; nothing is posted without its rewrite.', 'automationtools-ai' ),
			dollars( spent() ),
			dollars( budget_micros() )
		),
		array( 'status' => 409 )
	);
}
