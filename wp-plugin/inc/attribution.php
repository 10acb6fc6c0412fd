<?php
/**
 * Attribution: the line that credits the source in each post, and the canonical address of the original.
 *
 * The line is a template a feed chooses ({link}, {title}, {source_name}, {source_url}, {author}, {date}),
 * written at the top or the bottom of the post when it is imported, or left out. Its text is escaped and
 * only the placeholders' values are links. With the feed's canonical option on, search engines are told
 * the original is the page to index: through Yoast SEO's or Rank Math's own canonical field when one of
 * them is active (Seo\meta()), else through WordPress's own rel=canonical (get_canonical_url).
 *
 * @package automationtools-ai
 */

namespace ATAI\Attribution;

use ATAI\Feed;

/** The source line of a new feed: the original's title, linked to it (the line every post had before). */
const DEFAULT_TEMPLATE = 'Source: {link}';

/** Post meta: the original's address, on posts whose feed sends search engines there. */
const META_CANONICAL = '_atai_canonical';

/**
 * The feed options of attribution.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'source_line'          => array(
			'group'      => 'post',
			'type'       => 'string',
			'default'    => DEFAULT_TEMPLATE,
			'max_length' => 500,
			'label'      => __( 'Source line', 'automationtools-ai' ),
			'help'       => __( 'Text, with {link} (the original\'s title, linked), {title}, {source_name} (the feed\'s name), {source_url}, {author} and {date}.', 'automationtools-ai' ),
		),
		'source_line_position' => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'bottom',
			'choices' => array(
				'bottom' => __( 'At the end of the post', 'automationtools-ai' ),
				'top'    => __( 'At the start of the post', 'automationtools-ai' ),
				'none'   => __( 'Nowhere', 'automationtools-ai' ),
			),
			'label'   => __( 'Source line position', 'automationtools-ai' ),
			'help'    => '',
		),
		'canonical'            => array(
			'group'   => 'post',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Canonical address', 'automationtools-ai' ),
			'box'     => __( 'Tell search engines the original article is the one to index (rel=canonical)', 'automationtools-ai' ),
			'help'    => __( 'Uses Yoast SEO\'s or Rank Math\'s canonical field when one of them is active.', 'automationtools-ai' ),
		),
	);
}

/**
 * The content with the source line where the feed wants it.
 *
 * @since 0.2.0
 *
 * @param string               $content Sanitized content.
 * @param array<string, mixed> $draft   A contract Draft.
 * @param Feed                 $feed    The feed.
 * @param bool                 $blocks  Whether the content is block markup (the line is then a paragraph block).
 */
function with_source_line( string $content, array $draft, Feed $feed, bool $blocks ): string {
	$position = $feed->options['source_line_position'];
	if ( 'none' === $position ) {
		return $content;
	}
	$line = source_line( $draft, $feed, $blocks );
	return 'top' === $position ? $line . "\n\n" . $content : $content . "\n\n" . $line;
}

/**
 * The paragraph that credits the source, from the feed's template.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft  A contract Draft.
 * @param Feed                 $feed   The feed.
 * @param bool                 $blocks Whether to write it as a paragraph block.
 */
function source_line( array $draft, Feed $feed, bool $blocks ): string {
	$url   = is_string( $draft['source_url'] ) ? esc_url( $draft['source_url'], array( 'http', 'https' ) ) : '';
	$title = \ATAI\Posts\plain_text( $draft['source_title'] );
	if ( '' === $title ) {
		$title = '' !== $url ? $url : __( 'the original article', 'automationtools-ai' );
	}
	$date   = is_string( $draft['published'] ?? null ) && false !== strtotime( $draft['published'] ) ? wp_date( get_option( 'date_format' ), strtotime( $draft['published'] ) ) : '';
	$values = array(
		'{link}'        => '' !== $url ? '<a href="' . $url . '">' . esc_html( $title ) . '</a>' : esc_html( $title ),
		'{title}'       => esc_html( $title ),
		'{source_name}' => esc_html( \ATAI\Posts\plain_text( '' !== $feed->title ? $feed->title : (string) wp_parse_url( $feed->url, PHP_URL_HOST ) ) ),
		'{source_url}'  => '' !== $url ? '<a href="' . $url . '">' . esc_html( $draft['source_url'] ) . '</a>' : '',
		'{author}'      => esc_html( \ATAI\Posts\plain_text( $draft['author'] ?? '' ) ),
		'{date}'        => esc_html( (string) $date ),
	);
	$template = (string) $feed->options['source_line'];
	if ( DEFAULT_TEMPLATE === $template ) {
		/* translators: %s: the original article's title, linked to it. */
		$template = sprintf( __( 'Source: %s', 'automationtools-ai' ), '{link}' );
	}
	$line = '<p class="atai-source">' . strtr( esc_html( $template ), $values ) . '</p>';
	if ( $blocks ) {
		$line = "<!-- wp:paragraph {\"className\":\"atai-source\"} -->\n{$line}\n<!-- /wp:paragraph -->";
	}
	return $line;
}

/**
 * get_canonical_url: the original's address for a post imported with the canonical option on.
 *
 * @since 0.2.0
 *
 * @param mixed    $url  The canonical URL WordPress chose.
 * @param \WP_Post $post The post.
 * @return mixed
 */
function canonical_url( $url, $post = null ) {
	if ( ! $post instanceof \WP_Post ) {
		return $url;
	}
	$original = (string) get_post_meta( $post->ID, META_CANONICAL, true );
	return '' !== $original ? $original : $url;
}
