<?php
/**
 * Contract-valid Drafts, ItemErrors and Runs, written for these tests.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

/**
 * Builds the worker's data shapes (contract/worker-api.json) with overridable fields.
 */
final class Contract_Fixtures {

	/**
	 * The item key the worker computes for a guid (sha256 of "<feed id>\nguid:<guid>").
	 */
	public static function key( int $feed_id, string $guid ): string {
		return hash( 'sha256', $feed_id . "\nguid:" . $guid );
	}

	/**
	 * A run ID (32 hex digits).
	 */
	public static function run_id(): string {
		return bin2hex( random_bytes( 16 ) );
	}

	/**
	 * A Draft of a feed.
	 *
	 * @param int                  $feed_id Feed ID.
	 * @param string               $guid    The entry's guid.
	 * @param array<string, mixed> $fields  Fields to override.
	 * @return array<string, mixed>
	 */
	public static function draft( int $feed_id, string $guid, array $fields = array() ): array {
		return array_merge(
			array(
				'key'          => self::key( $feed_id, $guid ),
				'guid'         => $guid,
				'source_url'   => 'https://news.example.org/articles/' . rawurlencode( $guid ),
				'source_title' => 'Harbour cranes return to the old port',
				'title'        => 'The old port gets its cranes back',
				'content'      => '<p>After ten years the <strong>harbour cranes</strong> are back.</p><ul><li>Three cranes</li><li>One new quay</li></ul>',
				'excerpt'      => 'After ten years the harbour cranes are back.',
				'tags'         => array( 'harbour', 'city life' ),
				'categories'   => array( 'Local' ),
				'image'        => null,
				'published'    => '2024-03-05T09:30:00+00:00',
				'author'       => 'A. Reporter',
				'rewritten'    => true,
				'model'        => 'gpt-4o-mini',
				'usage'        => array(
					'prompt_tokens'     => 900,
					'completion_tokens' => 400,
				),
				'findings'     => array(),
				'hold'         => false,
				'identity'     => self::identity( 'https://news.example.org/articles/' . rawurlencode( $guid ) ),
			),
			$fields
		);
	}

	/**
	 * A contract Identity: an article address, and text layers only when given (the default text is short).
	 *
	 * @param string|null          $url    The canonical URL.
	 * @param array<string, mixed> $fields Fields to override (text_hash, words, and signature()'s).
	 * @return array<string, mixed>
	 */
	public static function identity( ?string $url, array $fields = array() ): array {
		return array_merge(
			array(
				'canonical_url'  => $url,
				'canonical_from' => null === $url ? null : 'link',
				'text_hash'      => null,
				'words'          => 12,
				'minhash'        => null,
				'bands'          => array(),
			),
			$fields
		);
	}

	/**
	 * A MinHash signature and its band keys, as the worker encodes them: $seed picks the text, and the
	 * first $changed of its 128 values differ (128 - $changed equal values: similarity (128 - $changed) / 128).
	 *
	 * @return array{minhash: string, bands: string[]}
	 */
	public static function signature( int $seed, int $changed = 0 ): array {
		$values = array();
		for ( $i = 0; $i < 128; $i++ ) {
			$values[] = hexdec( substr( hash( 'sha256', $seed . ':' . $i . ':' . ( $i < $changed ? 'edit' : 'text' ) ), 0, 8 ) );
		}
		$bands = array();
		for ( $band = 0; $band < 42; $band++ ) {
			$bands[] = substr( hash( 'sha256', $band . ':' . implode( ',', array_slice( $values, 3 * $band, 3 ) ) ), 0, 16 );
		}
		return array(
			'minhash' => base64_encode( pack( 'V*', ...$values ) ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the contract's encoding.
			'bands'   => $bands,
		);
	}

	/**
	 * An ItemError of a feed.
	 *
	 * @param int                  $feed_id Feed ID.
	 * @param string               $guid    The entry's guid.
	 * @param array<string, mixed> $fields  Fields to override.
	 * @return array<string, mixed>
	 */
	public static function item_error( int $feed_id, string $guid, array $fields = array() ): array {
		return array_merge(
			array(
				'key'       => self::key( $feed_id, $guid ),
				'guid'      => $guid,
				'link'      => 'https://news.example.org/articles/' . rawurlencode( $guid ),
				'title'     => 'An article the worker could not handle',
				'stage'     => 'extract',
				'code'      => 'extract_failed',
				'message'   => 'extract: got 503 from https://news.example.org/articles/' . rawurlencode( $guid ),
				'retryable' => true,
			),
			$fields
		);
	}

	/**
	 * An ItemError for a model call that failed for a reason that will pass: the model rate-limited it,
	 * and the worker's own retries ran out; try again after $seconds.
	 *
	 * @param int    $feed_id Feed ID.
	 * @param string $guid    The entry's guid.
	 * @param int    $seconds Seconds from now until retry_after.
	 * @param string $code    model_rate_limited, model_unavailable, model_timeout or model_unreachable.
	 * @return array<string, mixed>
	 */
	public static function passing_error( int $feed_id, string $guid, int $seconds, string $code = 'model_rate_limited' ): array {
		return self::item_error(
			$feed_id,
			$guid,
			array(
				'stage'       => 'rewrite',
				'code'        => $code,
				'message'     => 'rewrite: the AI endpoint is rate limiting requests (429); the item can be tried again later',
				'retry_after' => gmdate( 'Y-m-d\TH:i:s\Z', time() + $seconds ),
			)
		);
	}

	/**
	 * A SkippedEntry of a feed: an entry its filters left out.
	 *
	 * @param int                  $feed_id Feed ID.
	 * @param string               $guid    The entry's guid.
	 * @param array<string, mixed> $fields  Fields to override.
	 * @return array<string, mixed>
	 */
	public static function skipped( int $feed_id, string $guid, array $fields = array() ): array {
		return array_merge(
			array(
				'key'    => self::key( $feed_id, $guid ),
				'guid'   => $guid,
				'link'   => 'https://news.example.org/articles/' . rawurlencode( $guid ),
				'title'  => 'Sponsored: ten things every sailor forgets',
				'code'   => 'filter_excluded',
				'reason' => 'filters: the title or text contains "sponsored", which this feed excludes',
			),
			$fields
		);
	}

	/**
	 * The Run.items entry of a Draft or an ItemError.
	 *
	 * @param array<string, mixed> $thing A Draft or an ItemError.
	 * @param string               $state pending, ready or failed.
	 * @return array<string, mixed>
	 */
	public static function planned( array $thing, string $state ): array {
		return array(
			'key'   => $thing['key'],
			'guid'  => $thing['guid'],
			'link'  => $thing['source_url'] ?? $thing['link'],
			'title' => $thing['source_title'] ?? $thing['title'],
			'state' => $state,
		);
	}

	/**
	 * A Run of a feed holding these drafts and errors, planned as its items.
	 *
	 * @param int                              $feed_id Feed ID.
	 * @param string                           $run_id  Run ID.
	 * @param array<int, array<string, mixed>> $drafts  Drafts.
	 * @param array<int, array<string, mixed>> $errors  ItemErrors.
	 * @param array<string, mixed>             $fields  Fields to override.
	 * @return array<string, mixed>
	 */
	public static function run( int $feed_id, string $run_id, array $drafts = array(), array $errors = array(), array $fields = array() ): array {
		$items = array();
		foreach ( $drafts as $draft ) {
			$items[] = self::planned( $draft, 'ready' );
		}
		foreach ( $errors as $error ) {
			$items[] = self::planned( $error, 'failed' );
		}
		return array_merge(
			array(
				'run_id'     => $run_id,
				'feed_id'    => $feed_id,
				'state'      => 'done',
				'created_at' => '2024-03-05T10:00:00+00:00',
				'updated_at' => '2024-03-05T10:01:00+00:00',
				'rewrite'    => array(
					'mode'   => 'ai',
					'model'  => 'gpt-4o-mini',
					'reason' => null,
				),
				'feed'       => array(
					'title'            => 'Harbour News',
					'etag'             => '"v42"',
					'last_modified'    => 'Tue, 05 Mar 2024 09:30:00 GMT',
					'not_modified'     => false,
					'entries_total'    => count( $items ),
					'entries_new'      => count( $items ),
					'entries_deferred' => 0,
				),
				'items'      => $items,
				'drafts'     => $drafts,
				'errors'     => $errors,
				'skipped'    => array(),
				'error'      => null,
			),
			$fields
		);
	}
}
