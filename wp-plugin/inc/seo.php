<?php
/**
 * Search engines: an imported post's meta description and canonical address.
 *
 * When Yoast SEO or Rank Math is active, both go into that plugin's own fields, through the meta keys it
 * documents (_yoast_wpseo_metadesc and _yoast_wpseo_canonical; rank_math_description and
 * rank_math_canonical_url), and that plugin prints them. When neither is active, the description is kept
 * in our own meta and printed in the page's head, and the canonical address goes through WordPress's own
 * rel=canonical (Attribution\canonical_url()). Nothing here needs either plugin.
 *
 * @package automationtools-ai
 */

namespace ATAI\Seo;

use ATAI\Attribution;
use ATAI\Feed;

/** Our own copy of the meta description, printed when no SEO plugin does it. */
const META_DESCRIPTION = '_atai_meta_description';

/**
 * The SEO plugin in charge of the head: 'yoast', 'rank_math' or '' (none).
 *
 * @since 0.2.0
 */
function active_plugin(): string {
	if ( defined( 'WPSEO_VERSION' ) ) {
		return 'yoast';
	}
	if ( defined( 'RANK_MATH_VERSION' ) || class_exists( 'RankMath' ) ) {
		return 'rank_math';
	}
	return '';
}

/**
 * The post meta of a new post: its description, and the canonical address when the feed asks for it.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 * @return array<string, string>
 */
function meta( array $draft, Feed $feed ): array {
	$description = \ATAI\Posts\plain_text( $draft['meta_description'] ?? '' );
	$canonical   = $feed->options['canonical'] && is_string( $draft['source_url'] ) ? esc_url_raw( $draft['source_url'], array( 'http', 'https' ) ) : '';
	$keys        = array(
		'yoast'     => array( '_yoast_wpseo_metadesc', '_yoast_wpseo_canonical' ),
		'rank_math' => array( 'rank_math_description', 'rank_math_canonical_url' ),
		''          => array( META_DESCRIPTION, Attribution\META_CANONICAL ),
	)[ active_plugin() ];
	return array_filter(
		array(
			$keys[0] => $description,
			$keys[1] => $canonical,
		),
		'strlen'
	);
}

/**
 * wp_head: the meta description of an imported post, when no SEO plugin prints one.
 *
 * @since 0.2.0
 */
function print_description(): void {
	if ( ! is_singular() || '' !== active_plugin() ) {
		return;
	}
	$description = (string) get_post_meta( (int) get_queried_object_id(), META_DESCRIPTION, true );
	if ( '' !== $description ) {
		echo '<meta name="description" content="' . esc_attr( $description ) . '" />' . "\n";
	}
}
