<?php
/**
 * The WordPress half of bench/dedupe_quality.py, run in its throwaway site (never a real one).
 *
 * Usage: ATAI_WP_CORE=<core> WORDPRESS_CONFIG=<config> php dedupe_site.php <command> <json file>
 *   import <file>  {"feeds": [names], "rounds": [[{"feed": name, "draft": Draft}, ...], ...]}: create the
 *                  feeds, import each round's drafts through Runs\import_drafts(), print each draft's
 *                  outcome as JSON: {key: {"post": id} | {"skipped": matched post id, "layer", "similarity"}}
 *   speed <file>   {"past": N, "drafts": [Draft, ...]}: fill the index with N past posts' identities,
 *                  then time the decision (find_match + remember) of each draft; print the figures as JSON
 *
 * @package automationtools-ai
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

$_SERVER['HTTP_HOST']        = '127.0.0.1';
$_SERVER['SERVER_NAME']      = '127.0.0.1';
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'WORDPRESS_CONFIG' );

require getenv( 'ATAI_WP_CORE' ) . '/wp-load.php';

$atai_command = $argv[1] ?? '';
$atai_input   = json_decode( (string) file_get_contents( $argv[2] ?? '' ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file the benchmark wrote.
wp_set_current_user( 1 );

if ( 'import' === $atai_command ) {
	$feeds = array();
	foreach ( $atai_input['feeds'] as $name ) {
		$id = \ATAI\Feeds\create(
			array(
				'url'         => 'https://' . $name . '.example/feed.xml',
				'title'       => $name,
				'post_status' => 'publish',
				'author'      => 1,
			)
		);
		if ( is_wp_error( $id ) ) {
			fwrite( STDERR, $id->get_error_message() . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
			exit( 1 );
		}
		$feeds[ $name ] = \ATAI\Feeds\get( $id );
	}
	$outcomes = array();
	foreach ( $atai_input['rounds'] as $round ) {
		foreach ( $round as $entry ) {
			$feed    = $feeds[ $entry['feed'] ];
			$draft   = $entry['draft'];
			$result  = \ATAI\Runs\import_drafts( $feed, bin2hex( random_bytes( 16 ) ), array( $draft ) );
			$key     = $draft['key'];
			$skip    = \ATAI\Skips\skips( array( $key ) );
			$item    = \ATAI\Ledger\get( $key );
			$outcome = array( 'state' => $item['state'] ?? 'none' );
			if ( isset( $result['posted'][ $key ] ) ) {
				$outcome['post'] = $result['posted'][ $key ];
			} elseif ( isset( $skip[ $key ] ) ) {
				$outcome += array(
					'skipped'    => $skip[ $key ]['post_id'],
					'layer'      => $skip[ $key ]['layer'],
					'similarity' => $skip[ $key ]['similarity'],
				);
			} else {
				$outcome['error'] = $item['error_message'] ?? '';
			}
			$outcomes[ $key ] = $outcome;
		}
	}
	echo wp_json_encode( $outcomes );
	exit( 0 );
}

if ( 'speed' === $atai_command ) {
	global $wpdb;
	$past       = (int) $atai_input['past'];
	$identities = \ATAI\Dedupe\identities_table();
	$bands      = \ATAI\Dedupe\bands_table();
	// Past posts, their identities and 42 band keys each, made by MariaDB itself (the Sequence engine).
	// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
	$start = microtime( true );
	$first = (int) $wpdb->get_var( "SELECT COALESCE(MAX(ID), 0) + 1 FROM {$wpdb->posts}" );
	$wpdb->query( "INSERT INTO {$wpdb->posts} (ID, post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, guid) SELECT {$first} + seq, 1, NOW(), UTC_TIMESTAMP(), 'text', CONCAT('Past story ', seq), '', 'publish', CONCAT('past-story-', seq), '', '', NOW(), UTC_TIMESTAMP(), '', '' FROM seq_0_to_" . ( $past - 1 ) );
	$wpdb->query( "INSERT INTO {$identities} (post_id, feed_id, item_key, url_hash, text_hash, words, minhash, created_at) SELECT {$first} + seq, 1, SHA2(seq, 256), UNHEX(LEFT(SHA2(CONCAT('url', seq), 256), 32)), UNHEX(LEFT(SHA2(CONCAT('text', seq), 256), 32)), 800, RANDOM_BYTES(512), UTC_TIMESTAMP() - INTERVAL (seq % 30) DAY FROM seq_0_to_" . ( $past - 1 ) );
	$low = (int) $wpdb->get_var( "SELECT MIN(id) FROM {$identities} WHERE post_id >= {$first}" );
	$wpdb->query( "INSERT INTO {$bands} (band_key, identity_id) SELECT UNHEX(LEFT(SHA2(CONCAT(i.seq, ':', b.seq), 256), 16)), {$low} + i.seq FROM seq_0_to_" . ( $past - 1 ) . ' i JOIN seq_0_to_41 b' );
	$filled = microtime( true ) - $start;
	$counts = array(
		'identities' => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$identities}" ),
		'bands'      => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$bands}" ),
	);
	// phpcs:enable
	$feed_id = \ATAI\Feeds\create(
		array(
			'url'    => 'https://speed.example/feed.xml',
			'author' => 1,
		)
	);
	$feed    = \ATAI\Feeds\get( $feed_id );
	$decide  = array();
	$find    = array();
	$queries = array();
	$whole   = array();
	$batch   = \ATAI\Posts\Import_Batch::begin();
	foreach ( $atai_input['drafts'] as $draft ) {
		// Inside a transaction, as in the import, whose COMMIT (one for the post and all) is not counted.
		\ATAI\Transaction\begin();
		$before = $wpdb->num_queries;
		$t      = microtime( true );
		$match  = \ATAI\Dedupe\find_match( $draft['identity'] );
		$find[] = 1000 * ( microtime( true ) - $t );
		if ( null === $match ) {
			\ATAI\Dedupe\remember( 0, $draft['key'], $feed_id, $draft['identity'] );
		}
		$decide[]  = 1000 * ( microtime( true ) - $t );
		$queries[] = $wpdb->num_queries - $before;
		\ATAI\Transaction\rollback();
		// The whole import of a draft like it (a new key), for scale.
		$draft['key'] = hash( 'sha256', $draft['key'] );
		$t            = microtime( true );
		\ATAI\Posts\import_draft( $draft + array(), $feed, 'speed', $batch );
		$whole[] = 1000 * ( microtime( true ) - $t );
	}
	$batch->end();
	sort( $decide );
	echo wp_json_encode(
		array(
			'index'          => $counts,
			'fill_seconds'   => round( $filled, 1 ),
			'items'          => count( $decide ),
			'decide_ms_mean' => round( array_sum( $decide ) / count( $decide ), 3 ),
			'decide_ms_p50'  => round( $decide[ (int) ( count( $decide ) / 2 ) ], 3 ),
			'decide_ms_p95'  => round( $decide[ (int) ( count( $decide ) * 0.95 ) ], 3 ),
			'find_ms_mean'   => round( array_sum( $find ) / count( $find ), 3 ),
			'queries_mean'   => round( array_sum( $queries ) / count( $queries ), 2 ),
			'import_ms_mean' => round( array_sum( $whole ) / count( $whole ), 3 ),
		)
	);
	exit( 0 );
}

fwrite( STDERR, "usage: dedupe_site.php import|speed <json file>\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
exit( 2 );
